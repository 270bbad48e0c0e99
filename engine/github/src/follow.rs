//! Following a run: poll the run and its jobs, and report each change once.

use std::collections::HashSet;

use crate::{GitHub, GithubError, Job, Run};

/// A change seen while following a run, reported once each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// The run's status changed (queued, in_progress, waiting…).
    Status(String),
    /// A job started.
    JobStarted(String),
    /// A step of a job ended.
    StepFinished {
        /// The job.
        job: String,
        /// The step.
        step: String,
        /// success, failure, skipped…
        conclusion: String,
    },
    /// A job ended.
    JobFinished {
        /// The job.
        job: String,
        /// success, failure…
        conclusion: String,
    },
}

/// What has been reported so far.
#[derive(Default)]
struct Seen {
    status: String,
    started: HashSet<u64>,
    steps: HashSet<(u64, u32)>,
    finished: HashSet<u64>,
}

impl Seen {
    fn jobs(&mut self, jobs: &[Job], on: &mut impl FnMut(Progress)) {
        for job in jobs {
            if job.status != "queued" && self.started.insert(job.id) {
                on(Progress::JobStarted(job.name.clone()));
            }
            for step in &job.steps {
                if step.status == "completed" && self.steps.insert((job.id, step.number)) {
                    on(Progress::StepFinished {
                        job: job.name.clone(),
                        step: step.name.clone(),
                        conclusion: step.conclusion.clone().unwrap_or_default(),
                    });
                }
            }
            if job.status == "completed" && self.finished.insert(job.id) {
                on(Progress::JobFinished {
                    job: job.name.clone(),
                    conclusion: job.conclusion.clone().unwrap_or_default(),
                });
            }
        }
    }
}

/// Whether an error while following is worth another look: the run goes on regardless,
/// so a blip of the API or the network should not end the watch.
fn transient(e: &GithubError) -> bool {
    matches!(
        e,
        GithubError::Unreachable { .. }
            | GithubError::Http {
                status: 500..=599,
                ..
            }
    )
}

/// How many transient failures in a row end the watch.
const RETRIES: u32 = 5;

impl GitHub {
    /// Follows run `run_id` until it completes, reporting each change to `on`. Up to
    /// five transient failures in a row (5xx, network) are retried a poll apart.
    pub async fn follow(
        &self,
        run_id: u64,
        mut on: impl FnMut(Progress),
    ) -> Result<Run, GithubError> {
        let mut seen = Seen::default();
        let mut failures = 0;
        loop {
            let looked = async {
                let run = self.run(run_id).await?;
                let jobs = self.jobs(run_id).await?;
                Ok::<_, GithubError>((run, jobs))
            }
            .await;
            let (run, jobs) = match looked {
                Ok(x) => {
                    failures = 0;
                    x
                }
                Err(e) if transient(&e) && failures < RETRIES => {
                    failures += 1;
                    tokio::time::sleep(self.poll()).await;
                    continue;
                }
                Err(e) => return Err(e),
            };
            if run.status != seen.status {
                seen.status = run.status.clone();
                if !run.completed() {
                    on(Progress::Status(run.status.clone()));
                }
            }
            seen.jobs(&jobs, &mut on);
            if run.completed() {
                return Ok(run);
            }
            tokio::time::sleep(self.poll()).await;
        }
    }
}
