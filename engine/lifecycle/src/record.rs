//! Building a record from a plan, and writing records so that a concurrent change is
//! merged or reported, never lost.

use std::collections::BTreeMap;

use idp_config::ProjectConfig;
use idp_state::{RecordStore, RecordedBackend, StateError, Stored, Version};

use crate::LifecycleError;

/// Where OpenTofu's state for `name` goes under this configuration: recorded at apply.
pub fn backend_for(config: Option<&ProjectConfig>, name: &str) -> RecordedBackend {
    match config.and_then(|c| c.remote_state.as_ref()) {
        None => RecordedBackend::Local,
        Some(s3) => RecordedBackend::S3 {
            bucket: s3.bucket.clone(),
            key: s3.tfstate_key(name),
            region: s3.region.clone(),
            lock_table: s3.lock_table.clone(),
        },
    }
}

/// The executor's backend for a recorded one; `path_style` is how this machine reaches
/// the bucket (an S3-compatible endpoint), which is not part of the record.
pub fn executor_backend(recorded: &RecordedBackend, path_style: bool) -> idp_executor::Backend {
    match recorded {
        RecordedBackend::Local => idp_executor::Backend::Local,
        RecordedBackend::S3 {
            bucket,
            key,
            region,
            lock_table,
        } => idp_executor::Backend::S3(idp_executor::S3Backend {
            bucket: bucket.clone(),
            key: key.clone(),
            region: region.clone(),
            lock_table: lock_table.clone(),
            path_style,
        }),
    }
}

/// The sha256 of each module's files in a workspace (`modules/<name>/…`), computed as
/// `catalog.kdl` pins modules (`idp_catalog::module_digest`), so a record says exactly which
/// module code it applied, in the same terms as the catalog that provided it.
pub fn module_digests(files: &[(String, Vec<u8>)]) -> BTreeMap<String, String> {
    let mut by_module: BTreeMap<&str, idp_catalog::ModuleFiles> = BTreeMap::new();
    for (path, bytes) in files {
        if let Some((module, rel)) = path
            .strip_prefix("modules/")
            .and_then(|rest| rest.split_once('/'))
        {
            by_module
                .entry(module)
                .or_default()
                .push((rel.to_owned(), bytes.clone()));
        }
    }
    by_module
        .into_iter()
        .map(|(module, files)| {
            let digest = idp_catalog::module_digest(&files);
            (module.to_owned(), format!("sha256:{digest}"))
        })
        .collect()
}

/// A record this run holds, with the version it last read or wrote.
pub struct Held {
    /// The record as this run last wrote it.
    pub stored: Stored,
}

impl Held {
    /// Applies `change` and writes the record conditionally. When another run changed it
    /// meanwhile (an `idp extend` from another machine), the change is applied to the
    /// fresh record and written again, as long as it is still the same apply
    /// (same plan digest); otherwise the conflict is the answer.
    pub fn update(
        &mut self,
        records: &dyn RecordStore,
        change: impl Fn(&mut idp_state::Record),
    ) -> Result<(), LifecycleError> {
        let mut current = self.stored.clone();
        for _ in 0..3 {
            let mut next = current.record.clone();
            change(&mut next);
            match records.write(&next, Some(&current.version)) {
                Ok(version) => {
                    self.stored = Stored {
                        record: next,
                        version,
                    };
                    return Ok(());
                }
                Err(StateError::Conflict { name, location }) => {
                    let fresh = records.require(&name)?;
                    if fresh.record.plan_digest != self.stored.record.plan_digest {
                        return Err(StateError::Conflict { name, location }.into());
                    }
                    current = fresh;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(StateError::Conflict {
            name: self.stored.record.name.clone(),
            location: records.location(),
        }
        .into())
    }
}

/// Writes a new record over `previous` (the version read before), or creates it.
pub fn replace(
    records: &dyn RecordStore,
    record: idp_state::Record,
    previous: Option<&Version>,
) -> Result<Held, LifecycleError> {
    let version = records.write(&record, previous)?;
    Ok(Held {
        stored: Stored { record, version },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use idp_state::{Record, StateStore, Status};

    fn record() -> Record {
        let json = serde_json::json!({
            "name": "e", "template": "hello", "template_version": "0.1.0", "owner": "a@b.io",
            "team": "t", "class": "preview", "region": "us-east-1",
            "created_at": "2026-11-23T10:00:00Z", "ttl": "1d", "expires_at": null,
            "status": "APPLYING", "plan_digest": "sha256:1", "spec": "env.kdl",
            "updated_at": "2026-11-23T10:00:00Z"
        });
        serde_json::from_value(json).expect("record")
    }

    #[test]
    fn a_concurrent_change_is_merged_into_the_same_apply_and_refused_for_another() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = StateStore::new(dir.path());
        let mut held = replace(&store, record(), None).expect("create");
        // Another run extends the same apply meanwhile: READY keeps the extension.
        let mut extended = record();
        extended.extended_until = Some("2026-11-26T10:00:00Z".parse().expect("time"));
        store
            .write(&extended, Some(&held.stored.version))
            .expect("concurrent write");
        held.update(&store, |r| r.status = Status::Ready)
            .expect("merged");
        let now = store.get("e").expect("read").expect("exists");
        assert_eq!(now.status, Status::Ready);
        assert_eq!(now.extended_until, extended.extended_until);
        // Another apply replaced it: this run's status would be a lie, so it is refused.
        let mut other = record();
        other.plan_digest = "sha256:2".into();
        store
            .write(&other, Some(&held.stored.version))
            .expect("another apply");
        let err = held
            .update(&store, |r| r.status = Status::Failed)
            .expect_err("conflict");
        assert!(
            matches!(err, LifecycleError::State(StateError::Conflict { .. })),
            "{err}"
        );
        assert_eq!(
            store.get("e").expect("read").expect("exists").plan_digest,
            "sha256:2"
        );
    }

    #[test]
    fn each_module_gets_the_digest_of_its_own_files() {
        let files = vec![
            ("main.tf".to_owned(), b"m".to_vec()),
            ("modules/a/main.tf".to_owned(), b"a".to_vec()),
            ("modules/a/variables.tf".to_owned(), b"v".to_vec()),
            ("modules/b/main.tf".to_owned(), b"b".to_vec()),
        ];
        let digests = module_digests(&files);
        assert_eq!(digests.keys().collect::<Vec<_>>(), ["a", "b"]);
        let mut changed = files.clone();
        changed[3].1 = b"B".to_vec();
        let again = module_digests(&changed);
        assert_eq!(again["a"], digests["a"]);
        assert_ne!(again["b"], digests["b"]);
    }
}
