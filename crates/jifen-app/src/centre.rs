//! Links into the member points centre. The merchant owns member sign-in, so its system asks
//! for a signed link for a member (`POST /api/v1/members/{id}/centre-link`) and opens it; the
//! link carries the programme, the member, an expiry and an HMAC-SHA256 under the programme's
//! secret, and is the member's credential for the pages under it.

use jifen_ledger::{MemberId, Millis, ProgramId};
use jifen_store::*;
use rand::Rng;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::{AppError, ProgramCtx};

/// How long a link works.
pub const LINK_MS: Millis = 24 * 3_600_000;

fn mac(secret: &str, body: &str) -> String {
    hex::encode(crate::webhooks::hmac_sha256(
        secret.as_bytes(),
        body.as_bytes(),
    ))
}

/// Issues a link token for a member: `<programme>.<member>.<expires>.<mac>`.
pub fn link(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    member: MemberId,
) -> Result<CentreLink, AppError> {
    let m = crate::commands::resolve(
        tx,
        ctx,
        &crate::commands::MemberRef::Id {
            member_id: member.0,
        },
    )?;
    let fresh: String = {
        let mut rng = rand::rng();
        (0..32)
            .map(|_| format!("{:02x}", rng.random::<u8>()))
            .collect()
    };
    let secret = tx.centre_secret(ctx.program.id, &fresh)?;
    let expires = now + LINK_MS;
    let body = format!("{}.{}.{expires}", ctx.program.id.0, m.id.0);
    let token = format!("{body}.{}", mac(&secret, &body));
    Ok(CentreLink {
        member_id: m.id,
        path: format!("/m/{token}"),
        token,
        expires_at: expires,
    })
}

/// A signed link into the member centre, for the merchant to hand to the member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CentreLink {
    #[schemars(with = "i64")]
    pub member_id: MemberId,
    /// The signed token.
    pub token: String,
    /// The centre's path for the token: `/m/<token>`.
    pub path: String,
    pub expires_at: Millis,
}

/// The member-centre links of a member revoked: every one issued until `revoked_until`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LinksRevoked {
    #[schemars(with = "i64")]
    pub member_id: MemberId,
    pub revoked_until: Millis,
}

/// The programme and member a token names, if its signature holds and it has not expired.
pub fn verify(
    tx: &mut Tx<'_>,
    token: &str,
    now: Millis,
) -> Result<Option<(ProgramId, MemberId)>, AppError> {
    let parts: Vec<&str> = token.split('.').collect();
    let [p, m, exp, sig] = parts[..] else {
        return Ok(None);
    };
    let (Ok(p), Ok(m), Ok(exp)) = (p.parse::<i64>(), m.parse::<i64>(), exp.parse::<i64>()) else {
        return Ok(None);
    };
    if exp <= now {
        return Ok(None);
    }
    let Some(secret) = tx.centre_secret_existing(ProgramId(p))? else {
        return Ok(None);
    };
    let expected = mac(&secret, &format!("{p}.{m}.{exp}"));
    // Compared in full, without stopping at the first difference.
    let same = expected.len() == sig.len()
        && expected
            .bytes()
            .zip(sig.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if !same {
        return Ok(None);
    }
    // Staff may have revoked the member's links issued until some time.
    if let Some(until) = tx.centre_links_revoked(ProgramId(p), MemberId(m))?
        && exp - LINK_MS <= until
    {
        return Ok(None);
    }
    Ok(Some((ProgramId(p), MemberId(m))))
}

/// Staff revoke every member-centre link of a member issued until now (a lost phone, a link
/// shared by mistake); a link issued afterwards works. Audited.
pub fn revoke(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    actor: &str,
    member: MemberId,
) -> Result<LinksRevoked, AppError> {
    let m = crate::commands::resolve(
        tx,
        ctx,
        &crate::commands::MemberRef::Id {
            member_id: member.0,
        },
    )?;
    tx.revoke_centre_links(ctx.program.id, m.id, now)?;
    tx.audit(
        ctx.program.id,
        actor,
        "centre.links_revoked",
        &format!("member:{}", m.id),
        None,
        Some(&json!({"issued_until": now}).to_string()),
        now,
    )?;
    Ok(LinksRevoked {
        member_id: m.id,
        revoked_until: now,
    })
}
