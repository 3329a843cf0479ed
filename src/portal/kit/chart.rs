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

/// The longest bar; its amount is written after it, within the width.
const BAR_LENGTH: i64 = 230;
/// Room after a bar for its amount (`¥10,000,000.00` at 13 px).
const AMOUNT_ROOM: i64 = 126;
/// A chart's drawing width: it fits a 390 px phone at its own size, so its
/// 13 px text stays 13 px there (the page never scales it down).
const WIDTH: i64 = BAR_LENGTH + AMOUNT_ROOM + 4;

/// The opening `<svg>` of a chart `width` by `height`, with its title and
/// description for screen readers.
fn open(id: &str, title: &str, description: &str, width: i64, height: i64) -> String {
    format!(
        "<svg id=\"{id}\" class=\"chart\" role=\"img\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" aria-labelledby=\"{id}-title {id}-desc\" \
         xmlns=\"http://www.w3.org/2000/svg\">\
         <title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>",
        escape(title),
        escape(description)
    )
}

/// A line of text at (`x`, `y`).
fn text(x: i64, y: i64, size: i64, extra: &str, content: &str) -> String {
    format!(
        "<text x=\"{x}\" y=\"{y}\" font-size=\"{size}\" fill=\"#1b1f24\"{extra}>{}</text>",
        escape(content)
    )
}

/// A bar from the left edge at `top`, `amount` of `most` long, with the
/// amount written after it.
fn bar(top: i64, amount: Money, most: Money, colour: &str, size: i64) -> String {
    let length = scaled(amount, most, BAR_LENGTH);
    format!(
        "<rect x=\"0\" y=\"{top}\" width=\"{length}\" height=\"16\" fill=\"{colour}\"/>{}",
        text(length + 6, top + 13, size, "", &yuan(amount))
    )
}

/// A horizontal bar per figure, scaled to the largest, each under its label.
pub fn bars(id: &str, title: &str, description: &str, figures: &[(String, Money)]) -> String {
    const ROW: i64 = 44;
    let most = figures.iter().map(|(_, m)| *m).max().unwrap_or(Money::ZERO);
    let height = ROW * figures.len() as i64 + 4;
    let mut svg = open(id, title, description, WIDTH, height);
    for (i, (label, amount)) in figures.iter().enumerate() {
        let y = ROW * i as i64;
        svg.push_str(&text(0, y + 14, 13, "", label));
        svg.push_str(&bar(y + 19, *amount, most, "#0b4f8a", 13));
    }
    svg.push_str("</svg>");
    svg
}

/// Two bars per row (a month's issued and redeemed amounts) under its
/// label, scaled to the largest of all, with a legend naming the two.
pub fn pairs(
    id: &str,
    title: &str,
    description: &str,
    legend: (&str, &str),
    rows: &[(String, Money, Money)],
) -> String {
    const ROW: i64 = 60;
    let most = rows
        .iter()
        .flat_map(|(_, a, b)| [*a, *b])
        .max()
        .unwrap_or(Money::ZERO);
    let height = 28 + ROW * rows.len() as i64 + 4;
    let colours = ["#0b4f8a", "#b35900"];
    let mut svg = open(id, title, description, WIDTH, height);
    for (i, (name, colour)) in [legend.0, legend.1].iter().zip(colours).enumerate() {
        let x = 160 * i as i64;
        svg.push_str(&format!(
            "<rect x=\"{x}\" y=\"6\" width=\"14\" height=\"14\" fill=\"{colour}\"/>{}",
            text(x + 20, 18, 13, "", name)
        ));
    }
    for (i, (label, first, second)) in rows.iter().enumerate() {
        let y = 28 + ROW * i as i64;
        svg.push_str(&text(0, y + 14, 13, "", label));
        for (j, (amount, colour)) in [*first, *second].iter().zip(colours).enumerate() {
            svg.push_str(&bar(y + 19 + 19 * j as i64, *amount, most, colour, 12));
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
    axes: (&str, &str),
    rows: &[String],
    columns: &[String],
    cells: &[Vec<Money>],
) -> String {
    const LABEL: i64 = 64;
    const CELL_W: i64 = 98;
    const CELL_H: i64 = 40;
    const TOP: i64 = 48;
    let most = cells.iter().flatten().copied().max().unwrap_or(Money::ZERO);
    let width = LABEL + CELL_W * columns.len() as i64 + 4;
    let height = TOP + CELL_H * rows.len() as i64 + 4;
    let mut svg = open(id, title, description, width, height);
    // The axes' titles: the columns' above them, the rows' over their labels.
    let middle = LABEL + CELL_W * columns.len() as i64 / 2;
    svg.push_str(&text(
        middle,
        16,
        13,
        " text-anchor=\"middle\" font-weight=\"600\"",
        axes.1,
    ));
    svg.push_str(&text(0, 38, 13, " font-weight=\"600\"", axes.0));
    for (c, column) in columns.iter().enumerate() {
        let x = LABEL + CELL_W * c as i64 + CELL_W / 2;
        svg.push_str(&text(x, 38, 13, " text-anchor=\"middle\"", column));
    }
    for (r, row) in rows.iter().enumerate() {
        let y = TOP + CELL_H * r as i64;
        svg.push_str(&text(0, y + CELL_H / 2 + 5, 13, "", row));
        for (c, amount) in cells.get(r).into_iter().flatten().enumerate() {
            // Ten shades from pale to the band colour: dark text on the pale
            // six, white on the dark four, each at least 4.5:1.
            let shade = scaled(*amount, most, 9);
            let fill = [
                "#eef2f6", "#dbe6f1", "#c4d6ea", "#a9c3e0", "#8aaed4", "#6a97c7", "#3f74ad",
                "#3169a8", "#1b5a99", "#0b4f8a",
            ][shade as usize];
            let ink = if shade >= 6 { "#ffffff" } else { "#1b1f24" };
            let x = LABEL + CELL_W * c as i64;
            svg.push_str(&format!(
                "<rect x=\"{x}\" y=\"{y}\" width=\"{}\" height=\"{}\" fill=\"{fill}\" stroke=\"#ffffff\"/>\
                 <text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"12\" fill=\"{ink}\">{}</text>",
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
        assert!(svg.contains("width=\"230\""), "{svg}");
        assert!(
            svg.contains("width=\"57\""),
            "a quarter of 230, rounded down: {svg}"
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
        let svg = matrix("m", "t", "d", ("from", "to"), &rows, &columns, &cells);
        assert!(
            svg.contains(">from<") && svg.contains(">to<"),
            "axis titles"
        );
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
        assert!(svg.contains("width=\"230\"") && svg.contains("width=\"115\""));
        assert!(svg.contains("width=\"57\""), "50 of 200: {svg}");
        assert!(svg.contains(">issued<") && svg.contains(">redeemed<"));
    }

    #[test]
    fn nothing_to_scale_draws_nothing() {
        assert_eq!(scaled(Money::from_fen(5), Money::ZERO, 100), 0);
        assert_eq!(scaled(Money::from_fen(-5), Money::from_fen(10), 100), 0);
    }
}
