"""The tolerances stay calibrated: every correct style of refcheck/calibration passes every case
of every function it defines, strictly (no warning but those the contract gives that style), with
at least 5x headroom on every output, and no output allows more than ~100x the worst error any
style makes (``make calibrate`` prints the table; this runs it on the current profile). And no
correct style gets a hint: no hypothesis of the diagnosis takes its outputs for a mistake, even
told that every output is wrong (refcheck.diagnosis.claims)."""
import pytest

from refcheck.calibration import HEADROOM, TIGHTNESS, calibrate, load_styles
from refcheck.cases import seeds_for
from refcheck.registry import ROWS


@pytest.mark.parametrize("name", list(ROWS))
def test_correct_styles_pass_with_headroom_and_the_tolerance_is_tight(name):
    result = calibrate(seeds_for(), [name], diagnose=True)
    assert not result.problems, "\n".join(f"style {s}: {n} {st} on {c}: {m}" for s, n, c, st, m in result.problems)
    assert result.worst, f"no style compared any output of {name}"
    bad = [f"{key} {dtype}: worst/allowed {w.ratio:.3g} ({why}; style {w.style}, case {w.case})"
           for _, key, dtype, w, why in result.violations()]
    assert not bad, f"{name}: " + "; ".join(bad) + f" (the rule: between {TIGHTNESS} and {HEADROOM})"


def test_the_corpus_has_several_styles_and_each_covers_many_functions():
    styles = load_styles()
    assert {"refimpl", "loops", "staged", "alt", "einsum", "textbook", "cs231n_2025", "torch_attention",
            "loops_more", "libraries", "winograd", "torch_contrastive", "torch_transformer"} <= set(styles)
    for name, (module, declared) in styles.items():
        defined = [n for n in ROWS if callable(getattr(module, n, None))]
        assert len(defined) >= 4, (name, defined)
        assert set(declared) <= set(defined), (name, declared)
