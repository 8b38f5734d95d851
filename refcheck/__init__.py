"""refcheck: the verification engine behind refimpl's tests, the `refcheck` command and the pytest plugin."""
