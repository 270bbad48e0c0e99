use std::time::Duration;

/// How plugin calls are isolated from one another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Isolation {
    /// A fresh instance for every call: nothing one call leaves in memory can reach the
    /// next. The default, and what `plan` and `apply` use.
    #[default]
    Strict,
    /// One instance per loaded plugin, reused call after call until a call fails. Plugins
    /// import nothing and are pure functions of their arguments, so reuse only spares the
    /// instantiation, which is most of a policy call's cost (`idp check`; see
    /// docs/decisions/0004-check-throughput.md).
    Reuse,
}

/// The budget of every plugin call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Wall time a call may run before it is interrupted.
    pub timeout: Duration,
    /// Largest linear memory a plugin may grow to, in bytes.
    pub memory_bytes: usize,
    /// Most bytes of strings a call may return.
    pub output_bytes: usize,
    /// Fresh instance per call, or one reused.
    pub isolation: Isolation,
}

impl Default for Limits {
    /// 2 s, 64 MiB, 4 MiB: generous for rendering one environment, tight enough that a
    /// runaway plugin is caught long before it hurts the machine.
    fn default() -> Self {
        Limits {
            timeout: Duration::from_secs(2),
            memory_bytes: 64 << 20,
            output_bytes: 4 << 20,
            isolation: Isolation::Strict,
        }
    }
}

/// The per-store resource limiter: refuses memory growth past the cap and remembers
/// that it did, so the resulting trap can be reported as a memory problem.
pub(crate) struct StoreState {
    pub(crate) memory_cap: usize,
    pub(crate) memory_denied: bool,
}

impl wasmtime::ResourceLimiter for StoreState {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_cap {
            self.memory_denied = true;
            return Ok(false);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}
