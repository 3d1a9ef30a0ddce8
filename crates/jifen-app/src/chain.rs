//! Tamper evidence (the seeds' 区块链 idea, done soberly): each programme's transfers are sealed
//! by the jobs, a batch at a time, into the links of a hash chain. A transfer's leaf is the
//! SHA-256 of its columns as a JSON array; a link commits to the previous link's hash and to
//! the Merkle root of its transfers' leaves (in id order). Transfers are never updated, so a row
//! edited, removed or slipped in afterwards changes a root and breaks the chain from that link
//! on: `jifen verify` recomputes every link and names the first broken one. Once a day the head
//! (its hash and running totals) goes to the outbox and so to webhooks, for a third party to
//! keep: then even a rewritten chain no longer matches what was published. A member can have a
//! receipt for any line of their history: the transfer, its Merkle path and its link, which
//! anyone can check with SHA-256 alone ([`check_receipt`]).

use jifen_ledger::{MemberId, Millis, ProgramId};
use jifen_store::{LinkRow, Row, Tx, Value};
use rs_merkle::algorithms::Sha256 as MerkleSha256;
use rs_merkle::{Hasher, MerkleProof, MerkleTree};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::{AppError, ProgramCtx};

/// The `prev_hash` of a programme's first link.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Transfers one link seals at most.
pub const SEAL_STEP_TRANSFERS: i64 = 1_000;

/// The names of the columns a leaf covers, in the order of the canonical array.
pub const SEALED_FIELDS: [&str; 16] = [
    "id",
    "program_id",
    "point_type",
    "code",
    "phase",
    "debit_account",
    "credit_account",
    "amount",
    "member_id",
    "counterparty_id",
    "pending_of",
    "reversal_of",
    "order_ref",
    "reason",
    "actor",
    "created_at",
];

/// A transfer's columns as the canonical JSON array its leaf hashes.
fn canonical(r: &Row) -> String {
    let values: Vec<serde_json::Value> =
        r.0.iter()
            .map(|v| match v {
                Value::Null => serde_json::Value::Null,
                Value::Int(i) => json!(i),
                Value::Text(s) => json!(s),
            })
            .collect();
    serde_json::to_string(&values).expect("values serialize")
}

fn leaf_of(canonical: &str) -> [u8; 32] {
    Sha256::new()
        .chain_update(b"jifen-transfer:")
        .chain_update(canonical.as_bytes())
        .finalize()
        .into()
}

fn root_of(leaves: &[[u8; 32]]) -> [u8; 32] {
    MerkleTree::<MerkleSha256>::from_leaves(leaves)
        .root()
        .unwrap_or([0; 32])
}

/// A link's hash: its programme, place, predecessor, root and size.
pub fn link_hash(program: ProgramId, seq: i64, prev: &str, root: &str, count: i64) -> String {
    hex::encode(MerkleSha256::hash(
        format!("jifen-link:{}:{seq}:{prev}:{root}:{count}", program.0).as_bytes(),
    ))
}

/// Seals the transfers not sealed yet into the next link; once a day, when nothing is left to
/// seal, publishes the head as a checkpoint. Returns the transfers sealed, or `None`.
pub fn seal_step(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    _scope: &crate::JobScope,
) -> Result<Option<i64>, AppError> {
    let program = ctx.program.id;
    let head = tx.chain_head(program)?;
    let rows = tx.unsealed_transfers(program, SEAL_STEP_TRANSFERS)?;
    if rows.is_empty() {
        if let Some(h) = head {
            checkpoint(tx, ctx, now, &h)?;
        }
        return Ok(None);
    }
    let leaves: Vec<[u8; 32]> = rows.iter().map(|r| leaf_of(&canonical(r))).collect();
    let root = hex::encode(root_of(&leaves));
    let (seq, prev, total_count, total_amount) = match &head {
        Some(h) => (h.seq + 1, h.hash.clone(), h.total_count, h.total_amount),
        None => (1, GENESIS.to_string(), 0, 0),
    };
    let count = rows.len() as i64;
    let amount: i64 = rows.iter().map(|r| r.int(7)).sum();
    let link = LinkRow {
        seq,
        hash: link_hash(program, seq, &prev, &root, count),
        prev_hash: prev,
        root,
        transfer_count: count,
        total_count: total_count + count,
        total_amount: total_amount + amount,
        created_at: now,
    };
    let ids: Vec<i64> = rows.iter().map(|r| r.int(0)).collect();
    tx.insert_link(program, &link, &ids)?;
    Ok(Some(count))
}

/// The day's checkpoint of the chain's head, once per day in the programme's zone, to the
/// outbox (topic `ledger.checkpoint`).
fn checkpoint(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    head: &LinkRow,
) -> Result<(), AppError> {
    let day = crate::earn::local_date(now, &ctx.tz).to_string();
    if tx.insert_checkpoint(ctx.program.id, &day, head.seq, &head.hash, now)? {
        tx.outbox_push(
            ctx.program.id,
            "ledger.checkpoint",
            None,
            &json!({"programme": ctx.program.code, "day": day, "seq": head.seq, "hash": head.hash,
                    "total_transfers": head.total_count, "total_amount": head.total_amount, "at": now})
            .to_string(),
            now,
        )?;
    }
    Ok(())
}

/// Links read per page when the chain is checked.
const VERIFY_PAGE: i64 = 200;

/// Recomputes the chain: every link's predecessor, size, root, hash and running totals from
/// the transfers that name it. Returns the first broken link and what broke, or `None` when
/// the chain holds; also how many transfers wait to be sealed.
pub fn verify(tx: &mut Tx<'_>, program: ProgramId) -> Result<(Option<String>, i64), AppError> {
    let mut prev = GENESIS.to_string();
    let (mut total_count, mut total_amount) = (0, 0);
    let mut after = 0;
    loop {
        let links = tx.chain_links(program, after, VERIFY_PAGE)?;
        let Some(last) = links.last().map(|l| l.seq) else {
            break;
        };
        for l in links {
            let rows = tx.link_transfers(program, l.seq)?;
            let leaves: Vec<[u8; 32]> = rows.iter().map(|r| leaf_of(&canonical(r))).collect();
            let root = hex::encode(root_of(&leaves));
            let count = rows.len() as i64;
            total_count += count;
            total_amount += rows.iter().map(|r| r.int(7)).sum::<i64>();
            let broken = if l.seq != after + 1 {
                Some(format!("link {} follows link {after}", l.seq))
            } else if l.prev_hash != prev {
                Some("its previous hash is not the hash of the link before".to_string())
            } else if count != l.transfer_count {
                Some(format!(
                    "it sealed {} transfers and {count} name it now",
                    l.transfer_count
                ))
            } else if root != l.root {
                Some("its transfers are not the ones it sealed (the root differs)".to_string())
            } else if link_hash(program, l.seq, &l.prev_hash, &l.root, l.transfer_count) != l.hash {
                Some("its hash does not match its contents".to_string())
            } else if (l.total_count, l.total_amount) != (total_count, total_amount) {
                Some("its running totals differ from the transfers".to_string())
            } else {
                None
            };
            if let Some(why) = broken {
                return Ok((
                    Some(format!("link {}: {why}", l.seq)),
                    tx.count_unsealed(program)?,
                ));
            }
            prev = l.hash;
            after = l.seq;
        }
        if after != last {
            break;
        }
    }
    Ok((None, tx.count_unsealed(program)?))
}

/// The link a receipt's transfer is sealed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ReceiptLink {
    /// The link's number in the programme's chain.
    pub seq: i64,
    /// The previous link's hash.
    pub prev_hash: String,
    /// The Merkle root of the link's transfers, hex.
    pub root: String,
    /// The link's hash, hex.
    pub hash: String,
    /// How many transfers the link seals.
    pub transfer_count: i64,
}

/// A receipt proving a line of a member's history is sealed in the hash chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Receipt {
    /// The programme.
    #[schemars(with = "i64")]
    pub programme_id: ProgramId,
    /// The transfer proved.
    pub transfer_id: i64,
    /// The transfer's columns in the canonical text, in order.
    pub fields: Vec<String>,
    /// The transfer as sealed: its columns as a JSON array.
    pub canonical: String,
    /// The transfer's leaf hash, hex.
    pub leaf: String,
    /// The leaf's position among the link's transfers.
    pub index: u64,
    /// The Merkle path from the leaf to the link's root, hex.
    pub proof: Vec<String>,
    /// The link that seals the transfer.
    pub link: ReceiptLink,
    /// How to check the receipt with SHA-256 alone.
    pub how_to_check: String,
}

impl Receipt {
    /// Whether the receipt holds ([`check_receipt`] on its JSON).
    pub fn check(&self) -> bool {
        serde_json::to_value(self).is_ok_and(|v| check_receipt(&v))
    }
}

/// What a receipt says about how to check it.
const HOW_TO_CHECK: &str = "leaf = sha256(\"jifen-transfer:\" + canonical); the proof's hashes lead from the leaf at index to link.root (sha256 Merkle tree, rs_merkle layout); link.hash = sha256(\"jifen-link:{programme_id}:{seq}:{prev_hash}:{root}:{transfer_count}\"); follow prev_hash back, or later links forward, to a published checkpoint";

/// A receipt for one line of a member's history: the transfer's columns, its leaf, its Merkle
/// path to its link's root and the link, checkable by anyone with [`check_receipt`].
pub fn receipt(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    member: MemberId,
    transfer: i64,
) -> Result<Receipt, AppError> {
    let program = ctx.program.id;
    let not_found = || AppError::NotFound {
        what: "transfer",
        id: transfer.to_string(),
    };
    if tx
        .transfer(program, jifen_ledger::TransferId(transfer))?
        .is_none()
    {
        return Err(not_found());
    }
    let Some(seq) = tx.transfer_link(program, transfer)? else {
        return Err(AppError::conflict(
            "not_sealed_yet",
            format!(
                "transfer {transfer} is sealed by the next jobs run (within a minute); ask again then"
            ),
            json!({"transfer_id": transfer}),
        ));
    };
    let link = tx
        .chain_link(program, seq)?
        .ok_or_else(|| jifen_store::StoreError::Corrupt(format!("link {seq} is missing")))?;
    let rows = tx.link_transfers(program, seq)?;
    let index = rows
        .iter()
        .position(|r| r.int(0) == transfer)
        .ok_or_else(not_found)?;
    // A line of this member's history: they sent or received it.
    let (from, to) = (rows[index].opt_int(8), rows[index].opt_int(9));
    if from != Some(member.0) && to != Some(member.0) {
        return Err(not_found());
    }
    let leaves: Vec<[u8; 32]> = rows.iter().map(|r| leaf_of(&canonical(r))).collect();
    let tree = MerkleTree::<MerkleSha256>::from_leaves(&leaves);
    let proof = tree.proof(&[index]);
    let c = canonical(&rows[index]);
    Ok(Receipt {
        programme_id: program,
        transfer_id: transfer,
        fields: SEALED_FIELDS.iter().map(|f| f.to_string()).collect(),
        canonical: c,
        leaf: hex::encode(leaves[index]),
        index: index as u64,
        proof: proof.proof_hashes_hex(),
        link: ReceiptLink {
            seq: link.seq,
            prev_hash: link.prev_hash,
            root: link.root,
            hash: link.hash,
            transfer_count: link.transfer_count,
        },
        how_to_check: HOW_TO_CHECK.to_string(),
    })
}

/// Checks a receipt with nothing but SHA-256: the leaf is the canonical transfer's, the path
/// leads to the link's root, and the link's hash covers that root. True when all hold.
pub fn check_receipt(r: &serde_json::Value) -> bool {
    let (Some(canonical), Some(index), Some(count), Some(program)) = (
        r["canonical"].as_str(),
        r["index"].as_u64(),
        r["link"]["transfer_count"].as_i64(),
        r["programme_id"].as_i64(),
    ) else {
        return false;
    };
    let leaf = leaf_of(canonical);
    if r["leaf"].as_str() != Some(hex::encode(leaf).as_str()) {
        return false;
    }
    let hashes: Option<Vec<[u8; 32]>> = r["proof"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|h| {
                    h.as_str()
                        .and_then(|h| hex::decode(h).ok())
                        .and_then(|b| <[u8; 32]>::try_from(b).ok())
                })
                .collect()
        })
        .unwrap_or(None);
    let (Some(hashes), Some(root), Some(prev), Some(seq), Some(hash)) = (
        hashes,
        r["link"]["root"].as_str(),
        r["link"]["prev_hash"].as_str(),
        r["link"]["seq"].as_i64(),
        r["link"]["hash"].as_str(),
    ) else {
        return false;
    };
    let Some(root_bytes) = hex::decode(root)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
    else {
        return false;
    };
    let proof = MerkleProof::<MerkleSha256>::new(hashes);
    proof.verify(root_bytes, &[index as usize], &[leaf], count as usize)
        && link_hash(ProgramId(program), seq, prev, root, count) == hash
}
