"""torch_oracle: PyTorch adapters that compute what the contract's functions must return.

Each adapter takes the contract's arguments (NumPy) plus the upstream gradients, converts every
convention where the contract and torch differ (each adapter's docstring says how), runs torch in
float64, and returns the expected values as float64 NumPy arrays.
"""
