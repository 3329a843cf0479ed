//! A company rates a completed service: a score of 1 to 5, a comment, and
//! whether it is a complaint — once per redemption.

use askama::Template;
use rocket::form::{Form, FromForm};
use rocket::http::Status;
use rocket::response::Redirect;
use rocket::{get, post, Either, State};

use super::page_err;
use crate::domain::RedemptionStatus;
use crate::portal::kit::forms::{self, problem_on, Problem, Submitted};
use crate::portal::kit::frame::{Frame, Html, PageError};
use crate::portal::kit::guards::CompanyPage;
use crate::portal::kit::lists::parse_id;
use crate::service::identity::organization_names;
use crate::service::ratings::{self, RateRedemption};
use crate::service::redemptions::{self, Redemption};
use crate::App;

#[derive(Template)]
#[template(path = "company_rate.html", config = "src/portal/askama.toml")]
pub struct RatePage {
    pub f: Frame,
    pub idem: String,
    pub r: Redemption,
    pub provider: String,
    pub form: RatingFields,
    pub problem: Option<Problem>,
}

impl RatePage {
    fn error(&self, field: &str) -> Option<&str> {
        problem_on(&self.problem, field)
    }
    fn checked(&self, score: &u8) -> bool {
        self.form.score == score.to_string()
    }
    fn score_key(&self, score: &u8) -> &'static str {
        match score {
            5 => "rating.s5",
            4 => "rating.s4",
            3 => "rating.s3",
            2 => "rating.s2",
            _ => "rating.s1",
        }
    }
}

/// What the rating form sends (kept as typed after a refusal).
#[derive(Debug, Clone, Default, FromForm)]
pub struct RatingFields {
    pub csrf: Option<String>,
    pub idem: Option<String>,
    #[field(default = String::new())]
    pub score: String,
    #[field(default = String::new())]
    pub comment: String,
    #[field(default = false)]
    pub complaint: bool,
}

async fn page(
    app: &App,
    signed: &CompanyPage,
    r: Redemption,
    form: RatingFields,
    problem: Option<Problem>,
) -> Result<Html, PageError> {
    let names = organization_names(&app.service.db, signed.actor(), [r.provider_id])
        .await
        .map_err(page_err(signed))?;
    let status = match problem {
        Some(_) => Status::UnprocessableEntity,
        None => Status::Ok,
    };
    Html::with_status(
        status,
        &RatePage {
            f: signed.frame("rating.title"),
            idem: forms::new_key(),
            provider: names.get(&r.provider_id).cloned().unwrap_or_default(),
            r,
            form,
            problem,
        },
    )
}

/// The redemption `id` the company may see.
async fn redemption(
    app: &App,
    signed: &CompanyPage,
    id: uuid::Uuid,
) -> Result<Redemption, PageError> {
    redemptions::find(app.service.db.reader(), signed.actor(), id)
        .await
        .map_err(page_err(signed))
}

/// The rating form of a completed redemption (refused when it is not
/// completed or is rated already).
#[get("/company/redemptions/<id>/rate")]
pub async fn rate_form(app: &State<App>, signed: CompanyPage, id: &str) -> Result<Html, PageError> {
    let redemption_id = parse_id(&signed, id)?;
    let r = redemption(app, &signed, redemption_id).await?;
    let rated = ratings::of_redemption(app.service.db.reader(), signed.actor(), redemption_id)
        .await
        .map_err(page_err(&signed))?;
    if r.status != RedemptionStatus::Completed || rated.is_some() {
        return Err(PageError::new(
            signed.lang,
            Status::Conflict,
            "rating.not_open",
        ));
    }
    page(app, &signed, r, <RatingFields as Default>::default(), None).await
}

/// Sends the rating.
#[post("/company/redemptions/<id>/rate", data = "<form>")]
pub async fn rate(
    app: &State<App>,
    signed: CompanyPage,
    id: &str,
    form: Form<RatingFields>,
) -> Result<Either<Redirect, Html>, PageError> {
    let form = form.into_inner();
    let redemption_id = parse_id(&signed, id)?;
    let Ok(score) = form.score.parse::<i64>() else {
        signed.check_csrf(form.csrf.as_deref())?;
        let problem = Problem {
            field: "score",
            message: signed.lang.t("rating.choose").to_owned(),
        };
        let r = redemption(app, &signed, redemption_id).await?;
        return page(app, &signed, r, form, Some(problem))
            .await
            .map(Either::Right);
    };
    let op = RateRedemption {
        redemption_id,
        score,
        comment: Some(form.comment.clone()),
        complaint: form.complaint,
    };
    let complaint = form.complaint.to_string();
    let fields = [id, form.score.as_str(), &form.comment, &complaint];
    let (csrf, idem) = (form.csrf.as_deref(), form.idem.as_deref());
    match forms::act(&app.service, &signed, csrf, idem, &fields, op).await? {
        Submitted::Done(_) => Ok(Either::Left(Redirect::to(
            "/company/redemptions?done=rated",
        ))),
        Submitted::Again => Ok(Either::Left(Redirect::to(
            "/company/redemptions?done=again",
        ))),
        Submitted::Refused(problem) => {
            let r = redemption(app, &signed, redemption_id).await?;
            page(app, &signed, r, form.clone(), Some(problem))
                .await
                .map(Either::Right)
        }
    }
}
