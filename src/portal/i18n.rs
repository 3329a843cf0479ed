//! The portal's two languages: Simplified Chinese (the default) and
//! English. Every text a page shows is a key in [`TEXTS`] with both
//! spellings; amounts are written `¥1,234.50` and dates `2026-12-31`
//! (Asia/Shanghai) in both.

use chrono::NaiveDate;

use crate::domain::Money;

/// A language of the portal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    /// The code kept in the language cookie and used in `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The language a cookie value names.
    pub fn from_code(code: &str) -> Option<Lang> {
        match code {
            "zh-CN" | "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The first of zh / en an `Accept-Language` header prefers (by q, then
    /// order); Chinese when it names neither.
    pub fn from_accept_language(header: &str) -> Lang {
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',') {
            let mut pieces = part.trim().split(';');
            let tag = pieces
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            let lang = if tag == "zh" || tag.starts_with("zh-") {
                Lang::Zh
            } else if tag == "en" || tag.starts_with("en-") {
                Lang::En
            } else {
                continue;
            };
            if best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map_or(Lang::Zh, |(_, lang)| lang)
    }

    /// The other language (for the switch).
    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }

    /// The text of `key` in this language (the key itself if it has none,
    /// which a unit test rules out for every key the templates use).
    pub fn t(self, key: &str) -> &'static str {
        match TEXTS.iter().find(|(k, _, _)| *k == key) {
            Some((_, zh, en)) => match self {
                Lang::Zh => zh,
                Lang::En => en,
            },
            None => MISSING,
        }
    }
}

/// What [`Lang::t`] answers for a key without a text.
pub const MISSING: &str = "⟨missing text⟩";

/// A service category's name in `lang` (its code if it has none).
pub fn category(lang: Lang, code: &str) -> std::borrow::Cow<'_, str> {
    match lang.t(&format!("category.{code}")) {
        MISSING => code.into(),
        name => name.into(),
    }
}

/// `¥1,234.50`.
pub fn yuan(amount: Money) -> String {
    let fen = amount.fen();
    let sign = if fen < 0 { "-" } else { "" };
    let fen = fen.unsigned_abs();
    let whole = (fen / 100).to_string();
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    format!("{sign}¥{grouped}.{:02}", fen % 100)
}

/// `2026-12-31`.
pub fn date(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

/// Key, Chinese, English.
pub static TEXTS: &[(&str, &str, &str)] = &[
    ("brand", "长三角科技创新券", "YRD Innovation Vouchers"),
    ("skip", "跳到正文", "Skip to content"),
    ("switch_language", "English", "中文"),
    ("signed_in_as", "已登录：", "Signed in as "),
    ("logout", "退出登录", "Sign out"),
    ("home", "首页", "Home"),
    ("login.title", "登录", "Sign in"),
    ("login.login", "登录名", "Login"),
    ("login.password", "密码", "Password"),
    ("login.submit", "登录", "Sign in"),
    ("login.intro", "企业、服务机构和监管部门的工作人员请用本单位分配的账号登录。", "Staff of companies, service providers and regulators sign in with the account their organisation gave them."),
    ("login.wrong", "登录名或密码不正确。", "The login or password is not right."),
    ("login.locked", "连续 5 次密码错误，该账号已锁定 15 分钟，请于以下时间后再试：", "Five wrong passwords in a row: this login is locked for 15 minutes. Try again after "),
    ("login.disabled", "该账号已被停用，请联系本单位管理员。", "This account has been disabled. Ask your organisation's administrator."),
    ("login.ended", "会话已结束（已退出、超时或账号被停用），请重新登录。", "Your session has ended (signed out, timed out or the account was disabled). Please sign in again."),
    ("login.logged_out", "您已退出登录。", "You have signed out."),
    ("login.busy", "系统繁忙，请稍后再试。", "The service is busy. Please try again in a moment."),
    ("login.required", "请填写登录名和密码。", "Enter your login and password."),
    ("error.title", "无法完成", "Something is not right"),
    ("error.404", "找不到该页面或记录。它可能不存在，或不属于您的单位。", "There is no such page or record, or it does not belong to your organisation."),
    ("error.403", "您的角色无权访问此页面。", "Your role may not open this page."),
    ("error.503", "服务暂时不可用，请稍后再试。您的操作未被执行。", "The service is unavailable for a moment. Nothing was done; please try again."),
    ("error.400", "请求无效，未做任何更改。", "The request is not valid. Nothing was changed."),
    ("error.csrf", "表单已过期或来源不明（安全校验失败），未做任何更改。请返回并重新提交。", "The form has expired or did not come from this site (security check failed). Nothing was changed. Go back and submit it again."),
    ("error.back_home", "返回首页", "Back to the home page"),
    ("error.500", "出现了意外错误，未做任何更改。", "Something unexpected went wrong. Nothing was changed."),
    ("done.already", "该表单已提交过，操作只执行了一次。", "This form had been sent already; it acted once."),
    ("done.applied", "申请已提交，等待监管部门审核。", "Your application has been submitted for the regulator's decision."),
    ("done.held", "已冻结创新券额度。", "The amount is now held on the voucher."),
    ("done.cancelled", "已取消冻结，额度已退回创新券。", "The hold is cancelled; the amount is back on the voucher."),
    ("done.completed", "已确认服务完成。", "Delivery confirmed."),
    ("done.claimed", "结算申请已提交。", "The settlement claim has been submitted."),
    ("role.company", "企业", "Company"),
    ("role.provider", "服务机构", "Service provider"),
    ("role.regulator", "监管部门", "Regulator"),
    ("role.admin", "运维管理员", "Operator"),
    ("nav.vouchers", "我的创新券", "My vouchers"),
    ("nav.apply", "申请创新券", "Apply for a voucher"),
    ("nav.providers", "查找服务机构", "Find providers"),
    ("nav.history", "使用记录", "Redemption history"),
    ("nav.held", "待确认服务", "Held redemptions"),
    ("nav.unclaimed", "待结算", "Ready to claim"),
    ("nav.claims", "结算与付款", "Claims and payments"),
    ("region.SH", "上海", "Shanghai"),
    ("region.ZJ", "浙江", "Zhejiang"),
    ("region.JX", "嘉兴", "Jiaxing"),
    ("col.serial", "券号", "Serial"),
    ("col.region", "发券地区", "Issuing region"),
    ("col.year", "年度", "Year"),
    ("col.face_value", "面额", "Face value"),
    ("col.available", "可用", "Available"),
    ("col.held", "已冻结", "Held"),
    ("col.redeemed", "已使用", "Redeemed"),
    ("col.use_until", "使用截止", "Use by"),
    ("col.claim_until", "结算截止", "Claim by"),
    ("col.days_left", "剩余天数", "Days left"),
    ("col.status", "状态", "Status"),
    ("col.actions", "操作", "Actions"),
    ("col.provider", "服务机构", "Provider"),
    ("col.provider_region", "机构所在地", "Provider region"),
    ("col.categories", "服务类别", "Categories"),
    ("col.contract", "合同", "Contract"),
    ("col.amount", "金额", "Amount"),
    ("col.completed", "已完成", "Completed"),
    ("col.created", "时间", "Date"),
    ("col.invoice", "发票号", "Invoice"),
    ("col.bank_reference", "银行流水号", "Bank reference"),
    ("col.reason", "原因", "Reason"),
    ("col.purpose", "用途", "Purpose"),
    ("col.voucher", "创新券", "Voucher"),
    ("col.category", "服务类别", "Category"),
    ("col.total", "合计", "Total"),
    ("col.count", "笔数", "Redemptions"),
    ("count.redemption", "{n} 笔", "{n} redemption"),
    ("count.redemptions", "{n} 笔", "{n} redemptions"),
    ("status.active", "有效", "active"),
    ("status.exhausted", "已用完", "used up"),
    ("status.expired", "已过期", "expired"),
    ("status.revoked", "已撤销", "revoked"),
    ("status.held", "已冻结", "held"),
    ("status.completed", "已完成", "completed"),
    ("status.cancelled", "已取消", "cancelled"),
    ("status.submitted", "已提交", "submitted"),
    ("status.approved", "已批准", "approved"),
    ("status.rejected", "已驳回", "rejected"),
    ("status.paid", "已付款", "paid"),
    ("company.title", "我的创新券", "My vouchers"),
    ("company.none", "暂无创新券。可先申请。", "No vouchers yet. Start by applying for one."),
    ("company.warning", "即将到期", "ends soon"),
    ("company.applications", "我的申请", "My applications"),
    ("company.no_applications", "暂无申请。", "No applications yet."),
    ("company.hold_link", "使用", "Use"),
    ("company.providers_link", "找机构", "Providers"),
    ("apply.title", "申请创新券", "Apply for a voucher"),
    ("apply.region", "发券地区", "Issuing region"),
    ("apply.year", "年度", "Fiscal year"),
    ("apply.amount", "申请金额（元）", "Amount (yuan)"),
    ("apply.purpose", "用途说明", "What it is for"),
    ("apply.submit", "提交申请", "Submit application"),
    ("apply.cap", "年度上限", "Annual cap"),
    ("apply.used", "本年度已发放（同一实际控制人）", "Issued this year (same actual controller)"),
    ("apply.left", "剩余可申请", "Left to apply for"),
    ("apply.policy", "政策版本", "Policy version"),
    ("apply.caps_title", "各地区额度", "Caps by region"),
    ("providers.title", "查找服务机构", "Find service providers"),
    ("providers.voucher", "使用的创新券", "Voucher to use"),
    ("providers.category", "服务类别", "Category"),
    ("providers.region", "机构所在地", "Provider region"),
    ("providers.any", "全部", "Any"),
    ("providers.search", "查询", "Search"),
    ("providers.none", "没有符合条件的服务机构。", "No admitted provider matches."),
    ("providers.cross", "跨区域", "cross-region"),
    ("providers.intro", "以下为该券发券地区认定的服务机构，包括其认定的外地机构（长三角跨区域试点）。", "Providers admitted by the voucher's issuing region, including those of other regions it admitted (the Yangtze River Delta pilot)."),
    ("hold.title", "使用创新券", "Use a voucher"),
    ("hold.provider", "服务机构", "Provider"),
    ("hold.category", "服务类别", "Category"),
    ("hold.contract_no", "合同编号", "Contract number"),
    ("hold.contract_amount", "合同金额（元）", "Contract amount (yuan)"),
    ("hold.amount", "本次使用金额（元）", "Amount to use (yuan)"),
    ("hold.submit", "冻结额度", "Hold the amount"),
    ("hold.check", "计算上限", "Work out the limit"),
    ("hold.share", "创新券最多可支付合同金额的", "A voucher pays at most this share of a contract: "),
    ("hold.most", "本合同最多可用", "Most this contract allows"),
    ("hold.available", "本券可用余额", "Available on this voucher"),
    ("history.title", "使用记录", "Redemption history"),
    ("history.none", "暂无使用记录。", "No redemptions yet."),
    ("history.cancel", "取消冻结", "Cancel hold"),
    ("provider.title", "待确认服务", "Held redemptions"),
    ("provider.none", "暂无待确认的服务。", "Nothing held at you right now."),
    ("provider.complete", "确认完成", "Confirm delivery"),
    ("provider.complete_amount", "完成金额（留空为全部）", "Amount delivered (empty: all)"),
    ("provider.cancel", "取消", "Cancel"),
    ("unclaimed.title", "待结算", "Ready to claim"),
    ("unclaimed.none", "暂无待结算的已完成服务。", "No completed redemptions waiting for a claim."),
    ("unclaimed.claim", "提交结算申请", "Submit claim"),
    ("unclaimed.invoice", "发票号", "Invoice number"),
    ("unclaimed.group", "发券地区", "Issuing region"),
    ("claims.title", "结算与付款", "Claims and payments"),
    ("claims.none", "暂无结算申请。", "No claims yet."),
    ("refusal.field", "请检查此项", "Please check this"),
    ("refusal.amount_format", "金额格式不正确：请填写数字，最多两位小数，例如 1234.50。", "The amount is not in the right format: use digits with up to two decimals, like 1234.50."),
    ("refusal.insufficient_balance", "超过本券可用余额", "More than the voucher has available"),
    ("refusal.share_exceeded", "超过创新券可支付合同金额的比例上限。", "Above the share of the contract a voucher may pay."),
    ("refusal.share_exceeded.rule", "超过合同金额 {share} 的上限（{policy}）：本合同最多可用 {allowed}", "Above the {share} of the contract a voucher may pay ({policy}): this contract allows at most {allowed}"),
    ("refusal.insufficient_balance.rule", "超过本券可用余额：可用 {allowed}，本次 {requested}", "More than the voucher has available: {allowed} available, {requested} asked"),
    ("refusal.budget_exceeded.rule", "发券地区本年度预算不足（{policy}）：预算 {limit}，已发放 {used}，最多还可发放 {allowed}", "The issuing region's budget for the year is too small ({policy}): {limit} appropriated, {used} issued, at most {allowed} more"),
    ("refusal.annual_cap_exceeded.rule", "超过年度申领上限 {limit}（{policy}）：同一实际控制人本年度已获 {used}，最多还可获 {allowed}", "Above the annual cap of {limit} ({policy}): {used} already issued to the same actual controller this year, at most {allowed} more"),
    ("refusal.provider_not_admitted.rule", "该服务机构未被本券发券地区认定（{policy}）。", "This provider is not admitted by the voucher's issuing region ({policy})."),
    ("refusal.category_not_eligible.rule", "服务类别“{requested}”不在认定范围内（{policy}），可选：{allowed}", "The category “{requested}” is not among those admitted ({policy}); these are: {allowed}"),
    ("refusal.voucher_expired.rule", "该券使用期限至 {limit}，今天是 {requested}（{policy}）。", "The voucher could be used until {limit}; today is {requested} ({policy})."),
    ("refusal.claim_deadline_passed.rule", "结算截止日期为 {limit}，今天是 {requested}（{policy}）。", "Claims were possible until {limit}; today is {requested} ({policy})."),
    ("refusal.duplicate_contract.rule", "合同编号 {requested} 已在该服务机构使用过。", "Contract number {requested} was already used with this provider."),
    ("refusal.duplicate_invoice.rule", "发票号 {requested} 已提交过。", "Invoice number {requested} was already submitted."),
    ("refusal.cross_region_budget_exceeded.rule", "超过跨区域使用上限：年度预算 {base} 的 {share}，即 {limit}（{policy}）；已用 {used}，最多还可用 {allowed}", "Above the limit for other regions' providers: {share} of the year's budget of {base}, that is {limit} ({policy}); {used} used, at most {allowed} more"),
    ("refusal.annual_cap_exceeded", "超过该企业（同一实际控制人）本年度的申领上限。", "Above the company's annual cap (summed over its actual controller)."),
    ("refusal.voucher_expired", "该券已过使用期限。", "The voucher's use period is over."),
    ("refusal.provider_not_admitted", "该服务机构未被本券发券地区认定。", "This provider is not admitted by the voucher's issuing region."),
    ("refusal.category_not_eligible", "该服务类别不在本券或该机构的认定范围内。", "This category is not funded, or the provider is not admitted for it."),
    ("refusal.related_party", "企业与服务机构为关联方（统一社会信用代码或实际控制人相同），不能使用创新券。", "The company and the provider are related parties (same credit code or actual controller); a voucher cannot pay."),
    ("refusal.related_party.rule", "企业与服务机构为关联方（{used}相同），不能使用创新券（{policy}）。", "The company and the provider are related parties (the same {used}); a voucher cannot pay ({policy})."),
    ("party.credit_code", "统一社会信用代码", "credit code"),
    ("party.actual_controller", "实际控制人", "actual controller"),
    ("refusal.duplicate_contract", "该合同编号已在该服务机构使用过。", "This contract number was already used with this provider."),
    ("refusal.duplicate_invoice", "该发票号已提交过。", "This invoice number was already submitted."),
    ("refusal.budget_exceeded", "发券地区的年度预算不足。", "The issuing region's budget for the year is too small."),
    ("refusal.cross_region_budget_exceeded", "超过发券地区跨区域使用的预算上限。", "Above the issuing region's budget for spending at other regions' providers."),
    ("refusal.claim_deadline_passed", "已过结算截止日期。", "The claim deadline has passed."),
    ("refusal.invalid_state", "该记录的状态已改变，无法执行此操作。", "The record's state has changed; this cannot be done now."),
    ("refusal.other", "无法执行：", "This cannot be done: "),
    ("policy.version", "{region} {year} 版", "{region} policy of {from}"),
    ("days", "天", "days"),
    ("done.approved", "已批准。", "Approved."),
    ("done.rejected", "已驳回。", "Rejected."),
    ("done.paid", "已登记付款。", "Payment recorded."),
    ("nav.dashboard", "概览", "Dashboard"),
    ("nav.applications", "申请审核", "Applications"),
    ("nav.claims_queue", "结算审核", "Claims"),
    ("nav.audit", "审计", "Audit"),
    ("dashboard.title", "概览", "Dashboard"),
    ("dashboard.year", "年度", "Year"),
    ("dashboard.show", "查看", "Show"),
    ("dashboard.no_budget", "该年度尚未拨付预算。", "No budget has been appropriated for this year."),
    ("dashboard.budget", "预算与使用", "Budget and use"),
    ("dashboard.budget_desc", "横条长度与金额成正比，数值见下表。", "Each bar's length is proportional to its amount; the table below has the same figures."),
    ("dashboard.months", "每月发券与使用", "Issued and redeemed per month"),
    ("dashboard.months_desc", "每个月两条横条：发券金额与已完成的使用金额，数值见下表。", "Two bars a month: the face value issued and the completed redemptions; the table below has the figures."),
    ("dashboard.no_months", "本年度尚无发券或使用。", "Nothing issued or redeemed for this year yet."),
    ("col.month", "月份", "Month"),
    ("dashboard.flows", "跨区域流向（已完成金额）", "Cross-region flows (completed amounts)"),
    ("dashboard.flows_desc", "行：发券地区；列：服务机构所在地区；颜色越深金额越大，数值见下表。", "Rows: issuing region; columns: the provider's region; darker cells hold more; the table below has the figures."),
    ("dashboard.no_flows", "本年度尚无已完成的使用。", "No completed redemptions this year yet."),
    ("figure.appropriated", "拨付预算", "Appropriated"),
    ("figure.issued", "已发券", "Issued"),
    ("figure.unissued", "可发券余额", "Available to issue"),
    ("figure.held", "已冻结", "Held"),
    ("figure.redeemed", "已使用", "Redeemed"),
    ("figure.paid", "已付款", "Paid"),
    ("figure.returned", "已退回预算", "Returned"),
    ("col.figure", "项目", "Figure"),
    ("col.issuer", "发券地区", "Issuing region"),
    ("col.paid", "已付款", "Paid"),
    ("col.company", "企业", "Company"),
    ("col.asked", "申请金额", "Asked"),
    ("col.approved", "批准金额", "Approved"),
    ("col.cap", "年度上限（已用 / 剩余）", "Annual cap (used / left)"),
    ("queue.applications", "申请审核", "Applications"),
    ("queue.claims", "结算审核", "Claims"),
    ("queue.none", "没有待处理的事项。", "Nothing waiting."),
    ("queue.decided", "最近处理", "Recently decided"),
    ("queue.approve", "批准", "Approve"),
    ("queue.approve_amount", "批准金额（留空为全额）", "Amount to approve (empty: all)"),
    ("queue.reject", "驳回", "Reject"),
    ("queue.reason", "驳回原因", "Reason"),
    ("queue.pay", "登记付款", "Record payment"),
    ("queue.bank_reference", "银行流水号", "Bank reference"),
    ("queue.outside", "跨区域预算（上限为拨付预算的 {share}）：已用 {used} / 上限 {limit}", "Cross-region budget ({share} of the appropriation): {used} used of {limit}"),
    ("audit.title", "审计", "Audit"),
    ("audit.filter", "筛选", "Filter"),
    ("audit.action", "动作", "Action"),
    ("audit.entity", "对象编号", "Entity id"),
    ("audit.from", "起始日期", "From (day)"),
    ("audit.to", "截止日期（含）", "To (day, inclusive)"),
    ("audit.verify", "校验审计链", "Verify the chain"),
    ("audit.ok", "审计链完整：已校验 {n} 个事件，链头 #{seq}。", "The chain is intact: {n} events checked, head #{seq}."),
    ("audit.bad", "审计链异常：第一个问题出现在 #{seq}。", "The chain is broken: the first problem is at #{seq}."),
    ("audit.csv", "下载 CSV", "Download CSV"),
    ("audit.jsonl", "下载 JSON Lines", "Download JSON Lines"),
    ("audit.next", "下一页", "Next page"),
    ("audit.none", "没有符合条件的事件。", "No events match."),
    ("col.seq", "序号", "Seq"),
    ("col.time", "时间", "Time"),
    ("col.actor", "操作者", "Actor"),
    ("col.action", "动作", "Action"),
    ("col.entity", "对象", "Entity"),
    ("col.hash", "哈希", "Hash"),
    ("done.revoked", "已撤销该券，可用余额已退回预算。", "The voucher is revoked; what was available is back in the budget."),
    ("done.admitted", "已认定该服务机构。", "The provider is admitted."),
    ("done.registered", "已登记。", "Registered."),
    ("done.user_created", "已创建账号。", "The account is created."),
    ("done.user_disabled", "已停用该账号，其会话已结束。", "The account is disabled and its sessions have ended."),
    ("nav.vouchers_admin", "创新券", "Vouchers"),
    ("nav.providers_admin", "服务机构", "Providers"),
    ("nav.policy", "政策", "Policy"),
    ("nav.what_if", "政策试算", "What if"),
    ("whatif.title", "政策试算", "Policy what-if"),
    ("whatif.intro", "按草案重放所选年度的申请、批准和使用，不改变任何数据，看结果会有哪些不同。", "Replays the chosen year's applications, approvals and holds under a draft, changing nothing, and shows what would have differed."),
    ("whatif.in_force", "该年度现行版本自", "The version in force that year dates from"),
    ("whatif.share", "合同金额可支付比例（0–1）", "Share of a contract (0–1)"),
    ("whatif.categories", "资助的服务类别", "Categories funded"),
    ("whatif.use_deadline", "使用截止（月-日）", "Use deadline (MM-DD)"),
    ("whatif.claim_deadline", "结算截止（次年 月-日）", "Claim deadline (next year, MM-DD)"),
    ("whatif.run", "试算", "Replay the year"),
    ("whatif.result", "试算结果", "What would have differed"),
    ("whatif.none", "与实际情况没有任何不同。", "Nothing would have differed."),
    ("whatif.replayed", "重放：申请 / 批准 / 使用", "Replayed: applications / approvals / holds"),
    ("whatif.applications_refused", "申请被拒", "Applications refused"),
    ("whatif.applications_reduced", "批准金额减少", "Approvals reduced"),
    ("whatif.holds_refused", "使用被拒", "Holds refused"),
    ("whatif.companies", "受影响企业", "Companies affected"),
    ("whatif.issued_actual", "实际发放", "Issued"),
    ("whatif.issued_draft", "草案下发放", "Issued under the draft"),
    ("whatif.held_actual", "实际使用", "Held"),
    ("whatif.held_draft", "草案下使用", "Held under the draft"),
    ("whatif.by_rule", "按规则", "By rule"),
    ("whatif.rule", "规则", "Rule"),
    ("whatif.differences", "逐笔差异", "Differences"),
    ("whatif.kind", "类型", "Kind"),
    ("whatif.kind.application", "申请", "Application"),
    ("whatif.kind.hold", "使用", "Hold"),
    ("whatif.actual", "实际", "Actual"),
    ("whatif.draft", "草案", "Draft"),
    ("whatif.invalid.share", "请填写 0 到 1 之间的比例，如 0.50", "Use a share between 0 and 1, like 0.50"),
    ("whatif.invalid.month_day", "请填写月-日，如 12-31", "Use a month and day, like 12-31"),
    ("whatif.invalid.regions", "请填写地区代码，用逗号分隔，如 JX, SH", "Use region codes separated by commas, like JX, SH"),
    ("whatif.invalid.categories", "请至少选择一个服务类别", "Choose at least one category"),
    ("whatif.invalid.year", "请填写 2000 到 2100 之间、有政策版本的年度", "Use a year between 2000 and 2100 that has a policy version"),
    ("whatif.rule.enterprise_cap", "企业年度上限", "Annual cap, enterprise"),
    ("whatif.rule.team_cap", "团队年度上限", "Annual cap, team"),
    ("whatif.rule.contract_share", "合同金额比例", "Share of a contract"),
    ("whatif.rule.categories", "服务类别", "Categories"),
    ("whatif.rule.applicant_regions", "可申请企业所在地", "Companies of"),
    ("whatif.rule.admits_provider_regions", "可认定机构所在地", "Providers of"),
    ("whatif.rule.cross_region_budget_share", "跨区域预算上限", "Cross-region budget share"),
    ("whatif.rule.use_deadline", "使用截止", "Use deadline"),
    ("whatif.rule.voucher_balance", "券余额不足（因批准减少）", "Voucher balance (approval reduced)"),
    ("nav.organizations", "单位", "Organisations"),
    ("nav.expiry", "到期处理", "Expiry"),
    ("vouchers.title", "创新券", "Vouchers"),
    ("vouchers.query", "券号或企业名称", "Serial or company name"),
    ("vouchers.none", "没有找到创新券。", "No voucher found."),
    ("vouchers.reason", "撤销原因", "Reason to revoke"),
    ("vouchers.revoke", "撤销", "Revoke"),
    ("admissions.title", "服务机构认定", "Providers and admissions"),
    ("admissions.admit", "认定服务机构", "Admit a provider"),
    ("admissions.submit", "认定", "Admit"),
    ("policy.title", "政策版本", "Policy"),
    ("policy.in_force", "现行", "in force"),
    ("policy.enterprise_cap", "企业年度上限", "Annual cap, enterprise"),
    ("policy.team_cap", "创业团队年度上限", "Annual cap, start-up team"),
    ("policy.share", "创新券可支付合同金额比例", "Share of a contract a voucher pays"),
    ("policy.deadlines", "使用截止 / 结算截止（次年）", "Use by / claim by (next year)"),
    ("policy.applicants", "可申请企业所在地", "Companies of"),
    ("policy.admits", "可认定机构所在地", "Providers of"),
    ("policy.cross_region", "跨区域预算上限", "Cross-region budget share"),
    ("policy.source", "依据", "Source"),
    ("operator.title", "单位", "Organisations"),
    ("operator.register", "登记监管部门", "Register a regulator"),
    ("operator.name", "名称", "Name"),
    ("operator.region", "地区", "Region"),
    ("operator.submit", "登记", "Register"),
    ("operator.credentials", "该单位的 API 凭据（只显示这一次，请立即转交）：", "The organisation's API credentials (shown only this once; hand them over now):"),
    ("operator.people", "人员", "People"),
    ("operator.new_person", "新建账号", "New account"),
    ("operator.display_name", "姓名", "Name"),
    ("operator.create", "创建", "Create"),
    ("operator.disable", "停用", "Disable"),
    ("operator.disabled", "已停用", "disabled"),
    ("operator.no_people", "暂无人员。", "No people yet."),
    ("operator.kind", "类型", "Kind"),
    ("kind.company", "企业", "company"),
    ("kind.provider", "服务机构", "provider"),
    ("kind.regulator", "监管部门", "regulator"),
    ("expiry.title", "到期处理", "Expiry"),
    ("expiry.intro", "到期处理每小时自动运行：过了使用截止日的券余额退回预算，过了结算截止日的冻结退回。也可在此立即运行。", "The expiry job runs every hour: vouchers past their use deadline return what is left to the budget, holds past the claim deadline are released. It can be run now from here."),
    ("expiry.run", "立即运行", "Run now"),
    ("expiry.result", "本次处理：{vouchers} 张券到期，{holds} 笔冻结到期。", "This run: {vouchers} vouchers expired, {holds} holds expired."),
    ("category.testing", "检验检测", "testing"),
    ("category.rnd", "研发设计", "R&D"),
    ("category.tech_transfer", "技术转移", "technology transfer"),
    ("category.consulting", "科技咨询", "consulting"),
    ("category.ip", "知识产权", "intellectual property"),
    ("category.incubation", "创业孵化", "incubation"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_grouped_with_two_decimals() {
        assert_eq!(yuan(Money::from_fen(123_450)), "¥1,234.50");
        assert_eq!(yuan(Money::from_fen(4_000_000_001)), "¥40,000,000.01");
        assert_eq!(yuan(Money::from_fen(5)), "¥0.05");
        assert_eq!(yuan(Money::from_fen(-100_000)), "-¥1,000.00");
    }

    #[test]
    fn accept_language_picks_the_preferred_of_the_two() {
        assert_eq!(Lang::from_accept_language("en-GB,en;q=0.9"), Lang::En);
        assert_eq!(
            Lang::from_accept_language("zh-CN,zh;q=0.9,en;q=0.8"),
            Lang::Zh
        );
        assert_eq!(Lang::from_accept_language("fr, en;q=0.5"), Lang::En);
        assert_eq!(Lang::from_accept_language("de"), Lang::Zh);
        assert_eq!(Lang::from_accept_language(""), Lang::Zh);
    }

    #[test]
    fn keys_are_unique() {
        let mut keys: Vec<_> = TEXTS.iter().map(|(k, _, _)| *k).collect();
        keys.sort_unstable();
        let before = keys.len();
        keys.dedup();
        assert_eq!(before, keys.len());
    }

    /// Every text key the templates and the portal's code use has a text.
    #[test]
    fn every_key_used_has_both_languages() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/portal");
        let mut sources = Vec::new();
        for entry in std::fs::read_dir(dir.join("templates")).unwrap() {
            sources.push(std::fs::read_to_string(entry.unwrap().path()).unwrap());
        }
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "rs") {
                sources.push(std::fs::read_to_string(path).unwrap());
            }
        }
        let mut used = 0;
        for source in &sources {
            for (i, _) in source.match_indices(".t(\"") {
                let rest = &source[i + 4..];
                let key = &rest[..rest.find('"').unwrap()];
                if key.contains('{') || key.is_empty() {
                    continue;
                }
                used += 1;
                assert!(
                    TEXTS.iter().any(|(k, _, _)| *k == key),
                    "no text for {key:?}"
                );
            }
        }
        assert!(used > 50, "the scan found the templates' keys ({used})");
    }
}
