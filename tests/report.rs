//! The static report on data from the sample generator: every chart is a
//! valid PNG with its SVG beside it (`report.chart_formats` with "svg"), and
//! every link of index.html resolves.

mod common;

use common::{replenish, sample_data};

#[test]
fn index_links_resolve_and_charts_are_valid() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = dir.path().join("reports");
    sample_data(&data, 8);
    let config = dir.path().join("svg.toml");
    std::fs::write(&config, "[report]\nchart_formats = [\"png\", \"svg\"]\n").unwrap();
    // A simulation of the same date first: the page shows its trade-off.
    for sub in ["simulate", "run"] {
        replenish(&[
            sub.as_ref(),
            "--quiet".as_ref(),
            "--config".as_ref(),
            config.as_os_str(),
            "--data".as_ref(),
            data.as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
        ]);
    }
    let report = out.join("2026-11-22");
    let html = std::fs::read_to_string(report.join("index.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("Replenishment plan as of 2026-11-22"));
    assert!(html.contains("id=\"simulation\""), "no simulation section");
    assert!(html.contains("charts/simulation_frontier.png"));
    // Decisions first: this week's orders by supplier and the risks with
    // their reasons come before the portfolio; the exceptions are grouped
    // by kind, the noisy kinds folded away; the fill-rate cards are
    // measured (history, replay), not the target restated.
    let at = |needle: &str| html.find(needle).unwrap_or_else(|| panic!("no {needle}"));
    assert!(at("id=\"this-week\"") < at("id=\"orders-this-week\""));
    assert!(at("id=\"orders-this-week\"") < at("id=\"risks\""));
    assert!(at("id=\"risks\"") < at("id=\"portfolio\""));
    assert!(at("<th>why</th>") > at("id=\"risks\""));
    assert!(at("id=\"portfolio\"") < at("id=\"exceptions\""));
    assert!(html.contains("fill rate, last 13 weeks") && html.contains("fill rate, last 52 weeks"));
    assert!(html.contains("fill rate replayed (simulate)"));
    // The replay's baselines before its curves: visible without scrolling.
    assert!(at(">erp_min_max<") < at(">replenish_at_target<"));
    assert!(at(">sales_cover<") < at(">sales_cover_curve<"));
    assert!(!html.contains("expected fill rate (target"));
    for kind in ["forecast_bias", "outliers"] {
        if html.contains(&format!("id=\"exceptions-{kind}\"")) {
            assert!(
                html.contains(&format!("<details id=\"exceptions-{kind}\">")),
                "{kind} not folded"
            );
        }
    }
    let links = replenish::html::links(&html);
    assert!(links.len() > 20, "{} links", links.len());
    for link in &links {
        if let Some(anchor) = link.strip_prefix('#') {
            assert!(html.contains(&format!("id=\"{anchor}\"")), "anchor {link}");
        } else {
            assert!(!link.contains("://"), "external link {link}");
            assert!(report.join(link).is_file(), "{link} does not resolve");
        }
    }
    // Every PNG is a PNG, with an SVG beside it.
    let mut pngs = 0;
    for entry in std::fs::read_dir(report.join("charts")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "png") {
            let bytes = std::fs::read(&path).unwrap();
            assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{path:?}");
            let svg = std::fs::read_to_string(path.with_extension("svg")).unwrap();
            assert!(
                svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
                "{path:?}"
            );
            pngs += 1;
        }
    }
    // 16 series charts (each has an order, an exception or is in the top 200),
    // the pattern, model and inventory-value charts, the suppliers' and the
    // simulation's.
    assert_eq!(pngs, 16 + 3 + 1 + 1);
}
