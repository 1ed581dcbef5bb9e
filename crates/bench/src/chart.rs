//! A bar chart of the run as a self-contained SVG: per RPC, dbrepo calls/s
//! beside pgbench tx/s on the same statements, with the ratio written
//! above. Written by hand (no plotting crate, no font files): text uses
//! the viewer's generic sans-serif font.

use std::fmt::Write;

use crate::measure::RpcResult;

const WIDTH: f64 = 900.0;
const HEIGHT: f64 = 420.0;
const LEFT: f64 = 70.0;
const BOTTOM: f64 = 90.0;
const TOP: f64 = 50.0;

/// The SVG text of the chart of `rpcs`, titled `title`.
pub fn svg(rpcs: &[RpcResult], title: &str) -> String {
    let max = rpcs
        .iter()
        .flat_map(|r| [r.dbrepo_rate(), r.pgbench_rate()])
        .fold(1.0_f64, f64::max);
    let scale = nice_ceiling(max);
    let plot_h = HEIGHT - TOP - BOTTOM;
    let slot = (WIDTH - LEFT - 20.0) / rpcs.len().max(1) as f64;
    let mut out = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="{}" y="24" text-anchor="middle" font-size="15">{}</text>
"#,
        WIDTH / 2.0,
        escape(title)
    );
    axis(&mut out, scale, plot_h);
    for (i, r) in rpcs.iter().enumerate() {
        let x = LEFT + slot * i as f64 + slot * 0.15;
        let bar_w = slot * 0.35;
        let mut top = f64::MAX;
        for (j, (value, color)) in [(r.dbrepo_rate(), "#3b6fb6"), (r.pgbench_rate(), "#b0b0b0")]
            .into_iter()
            .enumerate()
        {
            let h = value / scale * plot_h;
            let y = TOP + plot_h - h;
            top = top.min(y);
            let bx = x + bar_w * j as f64;
            let _ = writeln!(
                out,
                r#"<rect x="{bx:.1}" y="{y:.1}" width="{bar_w:.1}" height="{h:.1}" fill="{color}"/>"#
            );
        }
        let cx = x + bar_w;
        let _ = writeln!(
            out,
            r#"<text x="{cx:.1}" y="{:.1}" text-anchor="middle">{:.2}</text>"#,
            top - 6.0,
            r.ratio()
        );
        let ly = TOP + plot_h + 14.0;
        let _ = writeln!(
            out,
            r#"<text x="{cx:.1}" y="{ly:.1}" text-anchor="end" transform="rotate(-30 {cx:.1} {ly:.1})">{}</text>"#,
            escape(r.label)
        );
    }
    legend(&mut out);
    out.push_str("</svg>\n");
    out
}

fn axis(out: &mut String, scale: f64, plot_h: f64) {
    let bottom = TOP + plot_h;
    let _ = writeln!(
        out,
        r##"<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{bottom}" stroke="#333"/>"##
    );
    let _ = writeln!(
        out,
        r##"<line x1="{LEFT}" y1="{bottom}" x2="{}" y2="{bottom}" stroke="#333"/>"##,
        WIDTH - 20.0
    );
    for step in 0..=4 {
        let value = scale * f64::from(step) / 4.0;
        let y = bottom - plot_h * f64::from(step) / 4.0;
        let _ = writeln!(
            out,
            r##"<line x1="{LEFT}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="#ddd"/>"##,
            WIDTH - 20.0
        );
        let _ = writeln!(
            out,
            r#"<text x="{}" y="{:.1}" text-anchor="end">{value:.0}</text>"#,
            LEFT - 6.0,
            y + 4.0
        );
    }
    let _ = writeln!(
        out,
        r#"<text x="16" y="{:.1}" transform="rotate(-90 16 {:.1})" text-anchor="middle">per second</text>"#,
        TOP + plot_h / 2.0,
        TOP + plot_h / 2.0
    );
}

fn legend(out: &mut String) {
    let y = 36.0;
    let items = [
        ("#3b6fb6", "dbrepo calls/s"),
        ("#b0b0b0", "pgbench tx/s, same SQL (number: ratio)"),
    ];
    for (i, (color, label)) in items.into_iter().enumerate() {
        let x = LEFT + 10.0 + 180.0 * i as f64;
        let _ = writeln!(
            out,
            r#"<rect x="{x}" y="{}" width="10" height="10" fill="{color}"/>"#,
            y - 9.0
        );
        let _ = writeln!(out, r#"<text x="{}" y="{y}">{label}</text>"#, x + 14.0);
    }
}

/// 1, 2 or 5 times a power of ten, at least `value`.
fn nice_ceiling(value: f64) -> f64 {
    let power = 10f64.powf(value.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|v| *v >= value)
        .unwrap_or(value)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
