"""`bench.sweep --due` takes a share of the challenges, and says so when given a count."""

import pytest

from bench.sweep import main


@pytest.mark.parametrize("due", ["10000", "0", "-0.1", "1.5", "ten"])
def test_a_due_that_is_not_a_share_is_refused_before_seeding(
    due: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["--due", due, "--db", "sqlite", "--challenges", "10"])
    assert stopped.value.code == 2
    printed = capsys.readouterr()
    assert "--due" in printed.err
    assert ("not a share" in printed.err) or ("not a number" in printed.err)
    assert "Sweep:" not in printed.out  # nothing was seeded or swept
