//! A page showing a refused form, marked as GOV.UK's pattern asks: its
//! title starts with "错误：" (or "Error: ") so that a screen reader says so
//! first, and an error summary at the top of the page lists each field's
//! message as a link to the field. The summary takes the focus when the
//! page loads (`autofocus`, no script needed).

use super::i18n::Lang;

/// `body` (a rendered page with a refused form) marked as refused.
pub fn mark(body: String) -> String {
    let lang = if body.contains(&format!("<html lang=\"{}\"", Lang::En.code())) {
        Lang::En
    } else {
        Lang::Zh
    };
    let body = body.replacen(
        "<title>",
        &format!("<title>{}", lang.t("error.title_prefix")),
        1,
    );
    let errors = field_errors(&body);
    if errors.is_empty() {
        return body;
    }
    let body = without_repeated_notice(&body, &errors);
    let items: String = errors
        .iter()
        .map(|(field, message)| {
            let target = if body.contains(&format!("id=\"{field}\"")) {
                field.to_string()
            } else {
                format!("{field}-error")
            };
            format!("<li><a href=\"#{target}\">{message}</a></li>")
        })
        .collect();
    let summary = format!(
        "<div class=\"error-summary\" role=\"alert\" tabindex=\"-1\" autofocus \
         aria-labelledby=\"error-summary-title\" id=\"error-summary\">\
         <h2 id=\"error-summary-title\">{}</h2><ul>{items}</ul></div>\n",
        lang.t("error.summary")
    );
    const MAIN: &str = "<main id=\"main\">\n";
    match body.find(MAIN) {
        Some(at) => {
            let (head, tail) = body.split_at(at + MAIN.len());
            format!("{head}{summary}{tail}")
        }
        None => body,
    }
}

/// `body` without the form's notice when it only repeats a field's message
/// (the summary and the field say it already).
fn without_repeated_notice(body: &str, errors: &[(&str, &str)]) -> String {
    const NOTICE: &str = "<div class=\"notice error\" role=\"alert\" id=\"form-error\">";
    let Some(at) = body.find(NOTICE) else {
        return body.to_owned();
    };
    let rest = &body[at + NOTICE.len()..];
    let Some((message, _)) = rest.split_once("</div>") else {
        return body.to_owned();
    };
    if !errors.iter().any(|(_, m)| *m == message) {
        return body.to_owned();
    }
    let end = at + NOTICE.len() + message.len() + "</div>".len();
    format!("{}{}", &body[..at], &body[end..])
}

/// Each field's message on the page, in page order: the `<span
/// class="error" id="FIELD-error">` the templates put next to a field (the
/// message is already escaped).
fn field_errors(body: &str) -> Vec<(&str, &str)> {
    const OPEN: &str = "<span class=\"error\" id=\"";
    let mut found = Vec::new();
    let mut rest = body;
    while let Some(at) = rest.find(OPEN) {
        rest = &rest[at + OPEN.len()..];
        let Some((id, after)) = rest.split_once('"') else {
            break;
        };
        let Some(field) = id.strip_suffix("-error") else {
            continue;
        };
        let Some((_, after_tag)) = after.split_once('>') else {
            break;
        };
        let Some((message, _)) = after_tag.split_once("</span>") else {
            break;
        };
        found.push((field, message));
        rest = after_tag;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "<html lang=\"zh-CN\"><head><title>申请</title></head><body>\
        <main id=\"main\">\n<h1>申请</h1>\
        <div class=\"notice error\" role=\"alert\" id=\"form-error\">金额须大于 0。</div>\
        <div class=\"field invalid\"><label for=\"amount\">金额</label>\
        <span class=\"error\" id=\"amount-error\">金额须大于 0。</span>\
        <input id=\"amount\" name=\"amount\"></div>\
        <fieldset><span class=\"error\" id=\"categories-error\">请至少选择一类。</span>\
        <input id=\"categories-testing\"></fieldset></main></body></html>";

    #[test]
    fn the_summary_links_each_message_to_its_field_and_takes_the_focus() {
        let page = mark(PAGE.to_owned());
        assert!(page.contains("<title>错误：申请</title>"), "{page}");
        let summary = &page[page.find("error-summary").unwrap()..page.find("<h1>").unwrap()];
        assert!(summary.contains("autofocus"), "{summary}");
        assert!(summary.contains("<a href=\"#amount\">金额须大于 0。</a>"));
        // No field of that id: the link goes to the message itself.
        assert!(summary.contains("<a href=\"#categories-error\">请至少选择一类。</a>"));
        assert!(summary.find("#amount").unwrap() < summary.find("#categories").unwrap());
        // The form's notice said what the field says: it is gone.
        assert!(!page.contains("form-error"), "{page}");
    }

    #[test]
    fn a_page_without_field_messages_gets_only_the_title() {
        let page = "<html lang=\"en\"><head><title>Claims</title></head><body>\
            <main id=\"main\">\n<span class=\"error\" role=\"alert\">Refused</span></main>";
        let marked = mark(page.to_owned());
        assert!(marked.contains("<title>Error: Claims</title>"));
        assert!(!marked.contains("error-summary"));
        // A notice of the whole form stays.
        let notice = "<html lang=\"zh-CN\"><title>T</title><main id=\"main\">\n\
            <div class=\"notice error\" role=\"alert\" id=\"form-error\">别的</div>\
            <span class=\"error\" id=\"amount-error\">金额</span><input id=\"amount\">";
        assert!(mark(notice.to_owned()).contains("别的"));
    }
}
