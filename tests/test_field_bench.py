"""The field benchmark (benchmarks/field.py) in its --quick size: its machinery and the sanity of its figures,
not timing goals (those are the benchmark's own). SQLite always; PostgreSQL too when CITIZEN_TEST_DATABASE_URL is
set (the benchmark makes and drops a scratch database of its own on that server)."""
import os

from benchmarks import field


def test_quick_run_measures_nearby_and_photos(capsys):
    names = ["sqlite"] + (["postgresql"] if os.environ.get("CITIZEN_TEST_DATABASE_URL") else [])
    out = field.main(["--quick", "--databases", ",".join(names)])
    printed = capsys.readouterr().out
    assert "goal nearby p95 < 50 ms on sqlite:" in printed
    for name in names:
        near = out["nearby"][name]
        assert near["sites"] == field.QUICK["sites"] and 0 < near["open_sites"] < near["sites"]
        assert near["requests"] == field.QUICK["positions"]
        assert 0 < near["p50_ms"] <= near["p95_ms"] <= near["max_ms"]
        assert set(near["groups"]) == set(field.GROUPS) and all(g["n"] > 0 for g in near["groups"].values())
        assert near["exact"]["checked"] > 0 and near["slowest"]["plan"]
        # inside the area the 20 returned are the 20 nearest open sites (outside: see the benchmark's report)
        for group in ("inside", "dense", "edge"):
            assert near["exact"]["wrong_by_group"][group].startswith("0/")
        photos = out["photos"][name]
        assert photos["stored"] == photos["sent"] and photos["unfinished_uploads"] == 0 and photos["chunks_left"] == 0
        assert {r["mode"] for r in photos["runs"]} >= {"chunked"} and len(photos["runs"]) == 2
        for run in photos["runs"]:
            assert run["photos"] >= field.QUICK["min_photos"] and run["photos_per_s"] > 0
            assert 0 < run["s_per_photo_p50"] <= run["s_per_photo_max"]
            assert run["peak_growth_mb"] >= 0 and run["rss_before_mb"] > 0
    base = out["baseline"]
    assert 0 < base["clean_copy_s"] and 0 < base["pipeline_s"] and base["pipeline_peak_mb"] is not None
