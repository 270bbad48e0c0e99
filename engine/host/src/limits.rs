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
    /// docs/decisions/0004-check-throughput.md). The warm instance keeps one budget: what
    /// it grew in earlier calls counts against the later ones.
    Reuse,
}

/// The budget of every plugin call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Wall time a call may run before it is interrupted.
    pub timeout: Duration,
    /// Bytes of linear memory a plugin may hold, summed over every memory its
    /// component declares (docs/decisions/0008-sandbox-budget.md).
    pub memory_bytes: usize,
    /// Bytes the host may allocate to copy one call's answer out of the plugin: string
    /// bytes plus the host's size of every list element. Checked while lifting, before
    /// each piece is copied.
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

/// Table elements a plugin may hold, summed over all its tables. A Rust plugin's one
/// function table has a few hundred.
pub(crate) const TABLE_ELEMENTS: usize = 100_000;

/// Core instances, memories and tables a plugin's store may create. Each memory
/// reserves gigabytes of address space even when empty, so the count matters as much as
/// the bytes; a Rust plugin has one of each.
const INSTANCES: usize = 16;
const MEMORIES: usize = 4;
const TABLES: usize = 4;

/// Which budget a plugin ran out of, for the error that names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exceeded {
    Memory,
    Table,
}

/// One budget of a store: what is in use and the last grant, taken back if wasmtime
/// then fails to grow (past a memory's own maximum, say), so a failed growth costs
/// nothing.
struct Budget {
    cap: usize,
    used: usize,
    granted: usize,
}

impl Budget {
    fn new(cap: usize) -> Self {
        Budget {
            cap,
            used: 0,
            granted: 0,
        }
    }

    /// Whether one part may grow from `current` to `desired` with the total in the cap.
    fn grow(&mut self, current: usize, desired: usize) -> bool {
        let total = self
            .used
            .checked_sub(current)
            .and_then(|t| t.checked_add(desired))
            .filter(|t| *t <= self.cap);
        match total {
            Some(total) => {
                self.granted = total - self.used;
                self.used = total;
                true
            }
            None => false,
        }
    }

    fn failed(&mut self) {
        self.used -= std::mem::take(&mut self.granted);
    }
}

/// The per-store resource limiter: one budget for everything the component declares.
/// wasmtime asks it per memory and per table, with that one's own size; it keeps the
/// totals, so many small memories add up like one large one. Memories and tables never
/// shrink and live as long as the store, so the totals only grow.
pub(crate) struct StoreState {
    memory: Budget,
    tables: Budget,
    pub(crate) exceeded: Option<Exceeded>,
    /// What the plugin logged and whether it reported a panic, during the current call.
    pub(crate) report: crate::logging::Report,
}

impl StoreState {
    pub(crate) fn new(limits: &Limits) -> Self {
        StoreState {
            memory: Budget::new(limits.memory_bytes),
            tables: Budget::new(TABLE_ELEMENTS),
            exceeded: None,
            report: crate::logging::Report::default(),
        }
    }

    fn allow(&mut self, allowed: bool, budget: Exceeded) -> wasmtime::Result<bool> {
        if !allowed {
            self.exceeded = Some(budget);
        }
        Ok(allowed)
    }
}

impl wasmtime::ResourceLimiter for StoreState {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = self.memory.grow(current, desired);
        self.allow(allowed, Exceeded::Memory)
    }

    fn memory_grow_failed(&mut self, _error: wasmtime::Error) -> wasmtime::Result<()> {
        self.memory.failed();
        Ok(())
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = self.tables.grow(current, desired);
        self.allow(allowed, Exceeded::Table)
    }

    fn table_grow_failed(&mut self, _error: wasmtime::Error) -> wasmtime::Result<()> {
        self.tables.failed();
        Ok(())
    }

    fn instances(&self) -> usize {
        INSTANCES
    }

    fn memories(&self) -> usize {
        MEMORIES
    }

    fn tables(&self) -> usize {
        TABLES
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmtime::ResourceLimiter;

    #[test]
    fn memories_share_one_budget() {
        let mut state = StoreState::new(&Limits::default());
        let part = 40 << 20;
        assert!(state.memory_growing(0, part, None).unwrap_or(false));
        assert!(!state.memory_growing(0, part, None).unwrap_or(true));
        assert_eq!(state.exceeded, Some(Exceeded::Memory));
    }

    #[test]
    fn growing_one_memory_counts_only_the_difference() {
        let mut state = StoreState::new(&Limits::default());
        assert!(state.memory_growing(0, 32 << 20, None).unwrap_or(false));
        assert!(
            state
                .memory_growing(32 << 20, 64 << 20, None)
                .unwrap_or(false)
        );
        assert_eq!(state.exceeded, None);
    }

    #[test]
    fn a_failed_growth_costs_nothing() {
        let mut state = StoreState::new(&Limits::default());
        assert!(state.memory_growing(0, 60 << 20, None).unwrap_or(false));
        assert!(
            state
                .memory_grow_failed(wasmtime::Error::msg("past maximum"))
                .is_ok()
        );
        assert!(state.memory_growing(0, 60 << 20, None).unwrap_or(false));
    }

    #[test]
    fn tables_share_one_budget() {
        let mut state = StoreState::new(&Limits::default());
        assert!(state.table_growing(0, 60_000, None).unwrap_or(false));
        assert!(!state.table_growing(0, 60_000, None).unwrap_or(true));
        assert_eq!(state.exceeded, Some(Exceeded::Table));
    }
}
