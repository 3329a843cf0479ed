//! The texts of the confirmation pages of irreversible actions, by key, in
//! their two languages (see [`super::i18n`]).

/// Key, Chinese, English.
pub static CONFIRM: &[(&str, &str, &str)] = &[
    ("confirm_step.title", "请确认", "Please confirm"),
    ("confirm_step.confirm", "确认", "Confirm"),
    ("confirm_step.back", "返回，不做更改", "Go back, change nothing"),
    ("confirm_step.held", "冻结金额", "Amount held"),
    ("confirm_step.cancel_hold.question", "取消合同 {contract} 的冻结？", "Cancel the hold of contract {contract}?"),
    ("confirm_step.cancel_hold.returns", "冻结的 {amount} 将退回企业的创新券，可再次使用。", "The {amount} held goes back to the company's voucher, to be used again."),
    ("confirm_step.cancel_hold.provider_stops", "服务机构不能再按此冻结完成兑付；如仍要这项服务，须重新冻结。", "The provider can no longer complete this hold; to have the service after all, hold again."),
    ("confirm_step.cancel_hold.company_again", "不能再按此冻结完成兑付；如企业仍要这项服务，须由企业重新冻结。", "You can no longer complete this hold; if the company still wants the service, it must hold again."),
    ("confirm_step.cancel_hold.final", "取消后不能恢复此冻结。", "A cancelled hold cannot be restored."),
    ("confirm_step.cancel_hold.button", "确认取消冻结", "Cancel the hold"),
    ("confirm_step.revoke.question", "撤销创新券 {serial}？", "Revoke voucher {serial}?"),
    ("confirm_step.revoke.available", "可用余额 {amount} 将退回预算，企业不能再用此券冻结。", "The {amount} available goes back to the budget; the company can no longer hold with this voucher."),
    ("confirm_step.revoke.held", "已冻结的 {amount} 不受影响：服务机构仍可完成，未用部分退回预算。", "The {amount} held is not touched: providers may still complete it, and what is not used goes back to the budget."),
    ("confirm_step.revoke.four_eyes", "如本地区要求双人复核，撤销在本部门另一名工作人员确认后生效。", "Where this region asks for four eyes, the revocation takes effect when a second person of this regulator confirms it."),
    ("confirm_step.revoke.final", "撤销后不能恢复此券。", "A revoked voucher cannot be restored."),
    ("confirm_step.revoke.button", "确认撤销", "Revoke the voucher"),
    ("confirm_step.disable.question", "停用 {name} 的账号？", "Disable the account of {name}?"),
    ("confirm_step.disable.sessions", "此人立即退出登录，之后不能再登录本系统；其以往的操作仍记录在审计链中。", "They are signed out at once and cannot sign in again; what they did stays in the audit trail."),
    ("confirm_step.disable.final", "停用后不能恢复此账号；如此人仍需使用，请另行邀请。", "A disabled account cannot be restored; if they still need access, invite them anew."),
    ("confirm_step.disable.button", "确认停用", "Disable the account"),
];
