//! The static report page, `index.html`: headline figures first, then the
//! portfolio (tables and charts), then sortable tables of exceptions and
//! orders whose rows link to the series charts. One file with its style and
//! script inline: it works from the file system, with no server and nothing
//! fetched from elsewhere.

use std::fmt::Write as _;

/// Escape text for HTML.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One cell of a table: shown text, the value it sorts by, and an optional link.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// Text shown.
    pub text: String,
    /// Sort key (numbers sort as numbers).
    pub sort: Option<f64>,
    /// Link target, relative to the page.
    pub href: Option<String>,
}

impl Cell {
    /// A text cell.
    pub fn text(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            sort: None,
            href: None,
        }
    }

    /// A number shown as `text`, sorted by `value`.
    pub fn number(text: impl Into<String>, value: f64) -> Cell {
        Cell {
            text: text.into(),
            sort: value.is_finite().then_some(value),
            href: None,
        }
    }

    /// The same cell, linked.
    pub fn link(mut self, href: impl Into<String>) -> Cell {
        self.href = Some(href.into());
        self
    }
}

/// A table: caption, column names (a leading `#` right-aligns the column) and rows.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// Element id (for the page's contents links).
    pub id: String,
    /// Heading above the table.
    pub caption: String,
    /// A sentence under the heading.
    pub note: String,
    /// Column names.
    pub columns: Vec<String>,
    /// Rows of cells.
    pub rows: Vec<Vec<Cell>>,
    /// Sortable by clicking a column head.
    pub sortable: bool,
    /// Folded away under its caption until clicked (the noisy kinds).
    pub collapsed: bool,
    /// One of a group under the table before it (which the links at the
    /// top of the page lead to): a smaller heading, and no link of its own.
    pub hide_from_nav: bool,
}

/// A picture: PNG shown, SVG linked.
#[derive(Debug, Clone)]
pub struct Figure {
    /// Caption.
    pub caption: String,
    /// PNG path relative to the page.
    pub png: String,
    /// SVG path relative to the page, when there is one.
    pub svg: Option<String>,
}

/// What the page shows.
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// Title.
    pub title: String,
    /// Line under the title.
    pub subtitle: String,
    /// What the reader must know before trusting the page (a bucket that
    /// contradicts the data, say), in a box under the title.
    pub notices: Vec<String>,
    /// Headline figures: (label, value, explanation).
    pub headlines: Vec<(String, String, String)>,
    /// What to do this week, first on the page: orders by supplier, the
    /// series at risk of a backorder and why.
    pub decisions: Vec<Table>,
    /// Portfolio tables.
    pub portfolio_tables: Vec<Table>,
    /// Portfolio charts.
    pub portfolio_figures: Vec<Figure>,
    /// The detail tables (exceptions, orders, …).
    pub tables: Vec<Table>,
    /// Files of the report, linked at the end: (path, what it holds).
    pub files: Vec<(String, String)>,
}

const STYLE: &str = "body{font-family:'DejaVu Sans',Verdana,sans-serif;margin:24px auto;max-width:1200px;color:#212121;padding:0 16px}\
h1{font-size:24px;margin:0}h3{font-size:16px;margin-top:20px}h2{font-size:19px;margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}\
.sub{color:#5f5f5f;margin:4px 0 16px}.cards{display:flex;flex-wrap:wrap;gap:12px}\
.card{border:1px solid #ddd;border-radius:6px;padding:10px 14px;min-width:160px;flex:1}\
.card .v{font-size:22px;font-weight:bold}.card .l{font-size:13px;color:#5f5f5f}\
table{border-collapse:collapse;margin:8px 0;font-size:13px}th,td{border-bottom:1px solid #e4e4e4;padding:4px 8px;text-align:left}\
th{background:#f4f4f4;position:sticky;top:0}table.sortable th{cursor:pointer}\
th[data-dir=asc]::after{content:' \\25B2'}th[data-dir=desc]::after{content:' \\25BC'}\
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}td:first-child{white-space:nowrap}.wrap{max-height:560px;overflow:auto;border:1px solid #eee}\
figure{margin:12px 0}figure img{max-width:100%;border:1px solid #eee}figcaption{font-size:13px;color:#5f5f5f}\
.note{font-size:13px;color:#5f5f5f;margin:4px 0}.notice{border-left:4px solid #c62828;background:#fdecea;padding:8px 12px;margin:8px 0}summary.fold{font-size:16px;font-weight:bold;margin-top:16px;cursor:pointer}nav a{margin-right:14px}";

const SCRIPT: &str = "document.querySelectorAll('table.sortable th').forEach(function(th){th.addEventListener('click',function(){\
var i=th.cellIndex,t=th.closest('table'),b=t.tBodies[0],rows=Array.prototype.slice.call(b.rows),asc=th.getAttribute('data-dir')!=='asc';\
t.querySelectorAll('th').forEach(function(h){h.removeAttribute('data-dir')});th.setAttribute('data-dir',asc?'asc':'desc');\
var key=function(r){var c=r.cells[i],v=c.getAttribute('data-v');return v===null?c.textContent.toLowerCase():parseFloat(v)};\
rows.sort(function(x,y){var a=key(x),c=key(y),o=(typeof a===typeof c)?(a<c?-1:a>c?1:0):(typeof a==='number'?-1:1);return asc?o:-o});\
rows.forEach(function(r){b.appendChild(r)})})});";

fn table_html(out: &mut String, t: &Table) {
    if t.collapsed {
        let _ = write!(
            out,
            "<details id=\"{}\"><summary class=\"fold\">{}</summary>",
            escape(&t.id),
            escape(&t.caption)
        );
    } else {
        let level = if t.hide_from_nav { 3 } else { 2 };
        let _ = write!(
            out,
            "<h{level} id=\"{}\">{}</h{level}>",
            escape(&t.id),
            escape(&t.caption)
        );
    }
    table_body(out, t);
    if t.collapsed {
        out.push_str("</details>");
    }
}

/// A table's note and rows, under its heading.
fn table_body(out: &mut String, t: &Table) {
    if !t.note.is_empty() {
        let _ = write!(out, "<p class=\"note\">{}</p>", escape(&t.note));
    }
    if t.rows.is_empty() {
        out.push_str("<p class=\"note\">None.</p>");
        return;
    }
    let _ = write!(
        out,
        "<div class=\"wrap\"><table{}><thead><tr>",
        if t.sortable {
            " class=\"sortable\""
        } else {
            ""
        }
    );
    let numeric: Vec<bool> = t.columns.iter().map(|c| c.starts_with('#')).collect();
    for c in &t.columns {
        let (class, name) = match c.strip_prefix('#') {
            Some(n) => (" class=\"n\"", n),
            None => ("", c.as_str()),
        };
        let _ = write!(out, "<th{class}>{}</th>", escape(name));
    }
    out.push_str("</tr></thead><tbody>");
    for row in &t.rows {
        out.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            let class = if numeric.get(i).copied().unwrap_or(false) {
                " class=\"n\""
            } else {
                ""
            };
            let sort = cell
                .sort
                .map(|v| format!(" data-v=\"{v}\""))
                .unwrap_or_default();
            let text = escape(&cell.text);
            let inner = match &cell.href {
                Some(h) => format!("<a href=\"{}\">{text}</a>", escape(h)),
                None => text,
            };
            let _ = write!(out, "<td{class}{sort}>{inner}</td>");
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div>");
}

/// The page as HTML.
pub fn render(page: &Page) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>",
        escape(&page.title)
    );
    let _ = write!(
        out,
        "<h1>{}</h1><p class=\"sub\">{}</p>",
        escape(&page.title),
        escape(&page.subtitle)
    );
    for n in &page.notices {
        let _ = write!(out, "<p class=\"notice\">{}</p>", escape(n));
    }
    out.push_str("<nav>");
    if !page.decisions.is_empty() {
        out.push_str("<a href=\"#this-week\">This week</a>");
    }
    out.push_str("<a href=\"#portfolio\">Portfolio</a>");
    for t in page.tables.iter().filter(|t| !t.hide_from_nav) {
        let _ = write!(
            out,
            "<a href=\"#{}\">{}</a>",
            escape(&t.id),
            escape(&t.caption)
        );
    }
    out.push_str("<a href=\"#files\">Files</a></nav>");
    out.push_str("<div class=\"cards\">");
    for (label, value, why) in &page.headlines {
        let _ = write!(
            out,
            "<div class=\"card\" title=\"{}\"><div class=\"v\">{}</div><div class=\"l\">{}</div></div>",
            escape(why),
            escape(value),
            escape(label)
        );
    }
    out.push_str("</div>");
    if !page.decisions.is_empty() {
        out.push_str("<h2 id=\"this-week\">This week</h2>");
        for t in &page.decisions {
            table_html(&mut out, t);
        }
    }
    out.push_str("<h2 id=\"portfolio\">Portfolio</h2>");
    for t in &page.portfolio_tables {
        table_html(&mut out, t);
    }
    for f in &page.portfolio_figures {
        let svg = f
            .svg
            .as_ref()
            .map(|s| format!(" (<a href=\"{}\">SVG</a>)", escape(s)))
            .unwrap_or_default();
        let _ = write!(
            out,
            "<figure><img src=\"{}\" alt=\"{}\"><figcaption>{}{svg}</figcaption></figure>",
            escape(&f.png),
            escape(&f.caption),
            escape(&f.caption)
        );
    }
    for t in &page.tables {
        table_html(&mut out, t);
    }
    out.push_str("<h2 id=\"files\">Files</h2><ul>");
    for (path, what) in &page.files {
        let _ = write!(
            out,
            "<li><a href=\"{}\">{}</a> — {}</li>",
            escape(path),
            escape(path),
            escape(what)
        );
    }
    let _ = writeln!(out, "</ul><script>{SCRIPT}</script></body></html>");
    out
}

/// Every `href` and `src` target of a page (for checks).
pub fn links(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["href=\"", "src=\""] {
        let mut rest = html;
        while let Some(i) = rest.find(attr) {
            rest = &rest[i + attr.len()..];
            if let Some(end) = rest.find('"') {
                out.push(rest[..end].replace("&amp;", "&"));
                rest = &rest[end..];
            }
        }
    }
    out
}

/// A share as a percentage with one decimal: 0.9512 → "95.1 %".
pub fn pct(x: f64) -> String {
    format!("{:.1} %", x * 100.0)
}

/// A number with thousands separators and `decimals` decimals.
pub fn grouped(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return String::new();
    }
    let s = format!("{:.*}", decimals, x.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let mut out = String::new();
    if x < 0.0 && s.chars().any(|c| c != '0' && c != '.') {
        out.push('-');
    }
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_links() {
        let page = Page {
            title: "Plan <as of> 2024".into(),
            tables: vec![Table {
                id: "orders".into(),
                caption: "Orders".into(),
                columns: vec!["sku".into(), "#qty".into()],
                rows: vec![vec![
                    Cell::text("A&B").link("charts/A&B.png"),
                    Cell::number("1,200", 1200.0),
                ]],
                sortable: true,
                ..Default::default()
            }],
            ..Page::default()
        };
        let html = render(&page);
        assert!(html.contains("Plan &lt;as of&gt; 2024"));
        assert!(html.contains("<a href=\"charts/A&amp;B.png\">A&amp;B</a>"));
        assert!(html.contains("<td class=\"n\" data-v=\"1200\">1,200</td>"));
        assert!(links(&html).contains(&"charts/A&B.png".to_string()));
        assert!(links(&html).contains(&"#orders".to_string()));
    }
}
