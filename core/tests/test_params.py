from core.params import MAX_ID, int_param, text_param, year_param


def test_it_reads_ascii_digits_within_bounds_only():
    assert int_param("42") == 42
    for odd in ("²", "١٢", " 3", "3 ", "+3", "-1", "1e3", "3.0", "", None, "9" * 30, str(MAX_ID + 1), "7\x00"):
        assert int_param(odd) is None, odd
    assert int_param("0", minimum=1, default=5) == 5
    assert year_param("2026") == 2026 and year_param("-1") is None and year_param("99999") is None


def test_it_drops_nul_and_cuts_text():
    assert text_param("a\x00b" + "c" * 300, max_length=5) == "abccc"
    assert text_param(None) == ""
