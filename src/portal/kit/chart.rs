//! Charts as SVG drawn on the server: horizontal bars and a matrix of
//! cells. Each has a title and a text description for screen readers, and
//! the page shows the same figures as a table beside it. Amounts are
//! scaled as integers of fen; no floating point touches them.

use crate::domain::Money;

use super::i18n::yuan;

/// Escapes text for SVG.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `part / whole` of `length`, in whole pixels (0 when `whole` is 0).
fn scaled(part: Money, whole: Money, length: i64) -> i64 {
    if whole.fen() <= 0 || part.fen() <= 0 {
        return 0;
    }
    let px = i128::from(part.fen()) * i128::from(length) / i128::from(whole.fen());
    i64::try_from(px).unwrap_or(length).clamp(0, length)
}

const BAR_LABEL: i64 = 130;
const BAR_LENGTH: i64 = 330;
const BAR_ROW: i64 = 30;

/// A horizontal bar per figure, scaled to the largest.
pub fn bars(id: &str, title: &str, description: &str, figures: &[(String, Money)]) -> String {
    let most = figures.iter().map(|(_, m)| *m).max().unwrap_or(Money::ZERO);
    let height = BAR_ROW * figures.len() as i64 + 10;
    let width = BAR_LABEL + BAR_LENGTH + 150;
    let mut svg = format!(
        "<svg id=\"{id}\" class=\"chart\" role=\"img\" viewBox=\"0 0 {width} {height}\" \
         aria-labelledby=\"{id}-title {id}-desc\" xmlns=\"http://www.w3.org/2000/svg\">\
         <title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>",
        escape(title),
        escape(description)
    );
    for (i, (label, amount)) in figures.iter().enumerate() {
        let y = 5 + BAR_ROW * i as i64;
        let length = scaled(*amount, most, BAR_LENGTH);
        svg.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"13\" fill=\"#1b1f24\">{}</text>\
             <rect x=\"{BAR_LABEL}\" y=\"{}\" width=\"{length}\" height=\"18\" fill=\"#0b4f8a\"/>\
             <text x=\"{}\" y=\"{}\" font-size=\"13\" fill=\"#1b1f24\">{}</text>",
            BAR_LABEL - 8,
            y + 14,
            escape(label),
            y + 1,
            BAR_LABEL + length + 6,
            y + 14,
            escape(&yuan(*amount)),
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// Two bars per row (a month's issued and redeemed amounts), scaled to the
/// largest of all, with a legend naming the two.
pub fn pairs(
    id: &str,
    title: &str,
    description: &str,
    legend: (&str, &str),
    rows: &[(String, Money, Money)],
) -> String {
    const ROW: i64 = 44;
    let most = rows
        .iter()
        .flat_map(|(_, a, b)| [*a, *b])
        .max()
        .unwrap_or(Money::ZERO);
    let height = 30 + ROW * rows.len() as i64 + 6;
    let width = BAR_LABEL + BAR_LENGTH + 150;
    let colours = ["#0b4f8a", "#b35900"];
    let mut svg = format!(
        "<svg id=\"{id}\" class=\"chart\" role=\"img\" viewBox=\"0 0 {width} {height}\" \
         aria-labelledby=\"{id}-title {id}-desc\" xmlns=\"http://www.w3.org/2000/svg\">\
         <title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>",
        escape(title),
        escape(description)
    );
    for (i, (name, colour)) in [legend.0, legend.1].iter().zip(colours).enumerate() {
        let x = BAR_LABEL + 160 * i as i64;
        svg.push_str(&format!(
            "<rect x=\"{x}\" y=\"6\" width=\"14\" height=\"14\" fill=\"{colour}\"/>\
             <text x=\"{}\" y=\"18\" font-size=\"13\" fill=\"#1b1f24\">{}</text>",
            x + 20,
            escape(name)
        ));
    }
    for (i, (label, first, second)) in rows.iter().enumerate() {
        let y = 30 + ROW * i as i64;
        svg.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"13\" fill=\"#1b1f24\">{}</text>",
            BAR_LABEL - 8,
            y + 24,
            escape(label)
        ));
        for (j, (amount, colour)) in [*first, *second].iter().zip(colours).enumerate() {
            let top = y + 3 + 19 * j as i64;
            let length = scaled(*amount, most, BAR_LENGTH);
            svg.push_str(&format!(
                "<rect x=\"{BAR_LABEL}\" y=\"{top}\" width=\"{length}\" height=\"16\" fill=\"{colour}\"/>\
                 <text x=\"{}\" y=\"{}\" font-size=\"12\" fill=\"#1b1f24\">{}</text>",
                BAR_LABEL + length + 6,
                top + 13,
                escape(&yuan(*amount)),
            ));
        }
    }
    svg.push_str("</svg>");
    svg
}

/// A matrix: one row per issuing region, one column per provider region,
/// each cell shaded by its amount against the largest.
pub fn matrix(
    id: &str,
    title: &str,
    description: &str,
    rows: &[String],
    columns: &[String],
    cells: &[Vec<Money>],
) -> String {
    const LABEL: i64 = 90;
    const CELL_W: i64 = 130;
    const CELL_H: i64 = 44;
    let most = cells.iter().flatten().copied().max().unwrap_or(Money::ZERO);
    let width = LABEL + CELL_W * columns.len() as i64 + 10;
    let height = 30 + CELL_H * rows.len() as i64 + 10;
    let mut svg = format!(
        "<svg id=\"{id}\" class=\"chart\" role=\"img\" viewBox=\"0 0 {width} {height}\" \
         aria-labelledby=\"{id}-title {id}-desc\" xmlns=\"http://www.w3.org/2000/svg\">\
         <title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>",
        escape(title),
        escape(description)
    );
    for (c, column) in columns.iter().enumerate() {
        svg.push_str(&format!(
            "<text x=\"{}\" y=\"20\" text-anchor=\"middle\" font-size=\"13\" fill=\"#1b1f24\">{}</text>",
            LABEL + CELL_W * c as i64 + CELL_W / 2,
            escape(column)
        ));
    }
    for (r, row) in rows.iter().enumerate() {
        let y = 30 + CELL_H * r as i64;
        svg.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"13\" fill=\"#1b1f24\">{}</text>",
            LABEL - 8,
            y + CELL_H / 2 + 5,
            escape(row)
        ));
        for (c, amount) in cells.get(r).into_iter().flatten().enumerate() {
            // Ten shades from pale to the band colour; white text on the dark half.
            let shade = scaled(*amount, most, 9);
            let fill = [
                "#eef2f6", "#dbe6f1", "#c4d6ea", "#a9c3e0", "#8aaed4", "#6a97c7", "#4c80b9",
                "#3169a8", "#1b5a99", "#0b4f8a",
            ][shade as usize];
            let ink = if shade >= 5 { "#ffffff" } else { "#1b1f24" };
            let x = LABEL + CELL_W * c as i64;
            svg.push_str(&format!(
                "<rect x=\"{x}\" y=\"{y}\" width=\"{}\" height=\"{}\" fill=\"{fill}\" stroke=\"#ffffff\"/>\
                 <text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"13\" fill=\"{ink}\">{}</text>",
                CELL_W,
                CELL_H,
                x + CELL_W / 2,
                y + CELL_H / 2 + 5,
                escape(&yuan(*amount)),
            ));
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_scaled_to_the_largest_figure_in_whole_pixels() {
        let figures = vec![
            ("a".to_owned(), Money::from_fen(100_000_000)),
            ("b<c".to_owned(), Money::from_fen(25_000_000)),
            ("none".to_owned(), Money::ZERO),
        ];
        let svg = bars("x", "Budget & use", "desc", &figures);
        assert!(svg.contains("width=\"330\""), "{svg}");
        assert!(
            svg.contains("width=\"82\""),
            "a quarter of 330, rounded down: {svg}"
        );
        assert!(svg.contains("width=\"0\""));
        assert!(svg.contains("¥1,000,000.00") && svg.contains("¥250,000.00"));
        assert!(svg.contains("b&lt;c") && svg.contains("Budget &amp; use"));
        assert!(svg.contains("<title id=\"x-title\">"));
    }

    #[test]
    fn a_matrix_shades_cells_by_amount() {
        let rows = vec!["JX".to_owned()];
        let columns = vec!["JX".to_owned(), "SH".to_owned()];
        let cells = vec![vec![Money::ZERO, Money::from_fen(3_000_000)]];
        let svg = matrix("m", "t", "d", &rows, &columns, &cells);
        assert!(svg.contains("fill=\"#eef2f6\""), "the empty cell is pale");
        assert!(svg.contains("fill=\"#0b4f8a\""), "the largest is darkest");
        assert!(svg.contains("¥30,000.00"));
    }

    #[test]
    fn pairs_share_one_scale() {
        let rows = vec![
            (
                "2026-03".to_owned(),
                Money::from_fen(200),
                Money::from_fen(100),
            ),
            ("2026-04".to_owned(), Money::ZERO, Money::from_fen(50)),
        ];
        let svg = pairs("p", "t", "d", ("issued", "redeemed"), &rows);
        assert!(svg.contains("width=\"330\"") && svg.contains("width=\"165\""));
        assert!(svg.contains("width=\"82\""), "50 of 200: {svg}");
        assert!(svg.contains(">issued<") && svg.contains(">redeemed<"));
    }

    #[test]
    fn nothing_to_scale_draws_nothing() {
        assert_eq!(scaled(Money::from_fen(5), Money::ZERO, 100), 0);
        assert_eq!(scaled(Money::from_fen(-5), Money::from_fen(10), 100), 0);
    }
}
