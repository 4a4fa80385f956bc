"""make bench-growth's verdict on memory as a crawl grows (benchmarks/growth.py)."""

from __future__ import annotations

from benchmarks.growth import growth_report


def run(main: float, rss_all: float, pss_all: float) -> dict:
    return {"peak_rss_main_mb": main, "peak_rss_tree_mb": rss_all, "peak_pss_tree_mb": pss_all}


def test_growth_is_judged_on_all_processes_from_the_smallest_crawl_to_the_largest():
    lines, unmet = growth_report({50000: run(190.4, 315.0, 264.0), 2000: run(167.0, 292.0, 240.0),
                                  20000: run(185.0, 310.0, 259.0)})
    assert unmet == []
    assert lines == [
        "                         2,000 pages    20,000 pages    50,000 pages    growth",
        "main process RSS              167 MB          185 MB          190 MB   +14.0%  the crawler's process alone, shown",
        "all processes' RSS            292 MB          310 MB          315 MB    +7.9%  met (<= 10%)",
        "all processes' PSS            240 MB          259 MB          264 MB   +10.0%  met (<= 10%)",
    ]


def test_a_pipeline_that_grows_more_than_ten_percent_is_not_met():
    lines, unmet = growth_report({2000: run(167.0, 292.0, 240.0), 50000: run(170.0, 322.0, 262.0)})
    assert unmet == ["all processes' RSS"]
    assert lines[2] == "all processes' RSS            292 MB          322 MB   +10.3%  NOT met (<= 10%)"
