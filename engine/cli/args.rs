//! The command line, as clap types. Help text here is what users read first, so it
//! teaches: each command says what it does, what it writes, and an example.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "idp",
    version,
    about = "Self-service cloud environments from one env.kdl",
    long_about = "Self-service cloud environments from one env.kdl.\n\n\
        idp validates an environment spec, runs the organisation's policies, computes tags, \
        expiry and cost, writes an OpenTofu workspace, and applies it locally or hands it \
        to GitHub Actions.",
    after_help = "Examples:\n  idp plan examples/orders-preview.kdl\n  idp apply examples/orders-preview.kdl --yes\n  idp cost examples/orders-preview.kdl --budget 150\n  idp check examples/ --format sarif -o idp.sarif\n  idp apply env.kdl --executor github\n  idp sweep --dry-run\n  idp list --format json\n  idp catalog show api-service\n\n\
        Exit codes: 0 clean, 1 a deny finding or a budget exceeded, 2 usage or input error, 3 plugin or infrastructure failure."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// Project configuration to use instead of the nearest `idp.kdl` above the spec.
    #[arg(long, global = true, env = "IDP_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Readable text with colour (honours NO_COLOR).
    Human,
    /// Stable JSON on stdout; see docs/json-output.md.
    Json,
}

#[derive(Debug, Args)]
pub struct SpecArgs {
    /// The environment spec (`env.kdl`); every `environment` in it is processed.
    #[arg(value_name = "SPEC")]
    pub spec: PathBuf,

    /// Only the environment with this name, when the file holds several.
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The environment specs; every `environment` in each is processed.
    #[arg(value_name = "SPEC", required = true)]
    pub specs: Vec<PathBuf>,

    /// Only the environment with this name, in each file.
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check specs: syntax, template inputs, tags and TTL, without running policies.
    #[command(
        after_help = "Each spec is reported in turn (with --format json, one JSON document per spec, \
        in order); the exit code is the worst of theirs.\n\n\
        Examples:\n  idp validate env.kdl\n  idp validate specs/*.kdl"
    )]
    Validate(ValidateArgs),

    /// Show what `apply` would do: tags, expiry, module calls, findings and plan digest.
    #[command(
        after_help = "Writes nothing. Exit code 1 when a policy denies.\n\nExample:\n  idp plan env.kdl --format json"
    )]
    Plan(SpecArgs),

    /// Plan, confirm, then apply here (local executor) or hand off to GitHub Actions.
    #[command(
        after_help = "Local executor: the workspace goes to the state directory (`.idp/` beside idp.kdl, or \
        IDP_STATE_DIR); with --run and `tofu` or `terraform` on PATH it runs init and apply there.\n\n\
        GitHub executor (`executor github { repository \"acme/envs\" }` in idp.kdl, or --executor github): \
        dispatches provision.yml with the confirmed plan digest, finds the run and follows it to its \
        end. Needs GH_TOKEN or GITHUB_TOKEN; GITHUB_API_URL selects GitHub Enterprise Server.\n\n\
        Examples:\n  idp apply env.kdl --yes\n  idp apply env.kdl --run\n  idp apply env.kdl --executor github --no-wait"
    )]
    Apply(ApplyArgs),

    /// Judge every spec under some paths with the project's policies, in parallel (for CI).
    #[command(
        after_help = "Finds `*.kdl` files holding `environment` nodes (skipping what .gitignore ignores), \
        runs each through validate, derive, render and every policy its idp.kdl enables, and \
        reports every problem of every file.\n\n\
        Exit codes: 0 clean or warnings only, 1 a deny finding or an expired waiver, \
        2 a spec or idp.kdl with input errors, 3 a plugin failure.\n\n\
        Examples:\n  idp check\n  idp check specs/ --format sarif --output idp.sarif\n  \
        idp check specs/ --format github --summary \"$GITHUB_STEP_SUMMARY\"\n  idp check specs/ --fail-on warn"
    )]
    Check(CheckArgs),

    /// Estimate what an environment costs: per resource, per month and over its TTL.
    #[command(
        after_help = "Prices come from the embedded price book (its date is shown). A 7-day preview is billed \
        for 7 days, not a month; `ttl never` shows the monthly figure only.\n\n\
        Exit codes: 0 within budget, 1 a monthly total above --budget, 2 a spec problem or a \
        price the book does not have.\n\n\
        Examples:\n  idp cost env.kdl\n  idp cost env.kdl --budget 300\n  idp cost env.kdl --compare main/env.kdl --format markdown"
    )]
    Cost(CostArgs),

    /// Keep the price book current (for cost estimates).
    #[command(subcommand)]
    Pricing(PricingCommand),

    /// List recorded environments with status and expiry.
    List(ListArgs),

    /// Show one recorded environment.
    Show(ShowArgs),

    /// One environment's status and expiry, in a line (exit 1 when FAILED).
    Status(ShowArgs),

    /// Destroy a recorded environment (asks first).
    #[command(
        after_help = "With the local executor, `--run` runs `tofu destroy` in the workspace. With the github \
        executor it dispatches destroy.yml and follows the run.\n\nExamples:\n  idp destroy orders-preview --run\n  \
        idp destroy orders-preview --executor github --yes"
    )]
    Destroy(DestroyArgs),

    /// Extend an environment's life; every policy judges the new lifetime first (max-ttl).
    #[command(
        after_help = "The extension counts from the current expiry (or from now, when that has passed), \
        is recorded with the environment, and outlives re-applies of the unchanged spec. The \
        resources' idp:expires-at tag follows at the next apply.\n\n\
        Exit codes: 0 extended, 1 a policy denies the new lifetime, 2 bad input.\n\n\
        Example:\n  idp extend orders-preview 3d"
    )]
    Extend(ExtendArgs),

    /// Move an environment to a newer template version: shows what changes, then applies.
    #[command(
        after_help = "Re-renders the recorded spec with the target version (the newest in the catalog, or \
        `--to`) and shows the difference from the version it was applied with: module calls and \
        variables added, removed or changed, the monthly cost, and new findings. A version its \
        catalog entry marks breaking says so before asking. A plain `idp apply` keeps the recorded \
        version.\n\n\
        Exit codes: 0 upgraded (or already at that version, or not confirmed), 1 a policy denies it, \
        2 bad input (an unknown `--to`).\n\n\
        Examples:\n  idp upgrade orders-preview\n  idp upgrade orders-preview --to 0.2.0 --run --yes"
    )]
    Upgrade(UpgradeArgs),

    /// Approve a plan waiting in PENDING_APPROVAL (a policy under `approval` enforcement denied it).
    #[command(
        after_help = "The plan digest judged at the request goes on as PENDING, exactly as `idp apply` without \
        `--run` leaves it; nobody approves their own request, and an expired approval is refused.\n\n\
        Exit codes: 0 approved, 2 refused or bad input.\n\n\
        Example:\n  idp approve orders-prod --reason \"change CHG-123\""
    )]
    Approve(DecideArgs),

    /// Reject a plan waiting in PENDING_APPROVAL: nothing is applied.
    #[command(after_help = "Example:\n  idp reject orders-prod --reason \"not this quarter\"")]
    Reject(DecideArgs),

    /// Destroy expired environments and warn about those expiring soon (ttl-cleanup.yml runs it daily).
    #[command(
        after_help = "Expired environments (READY, FAILED or PENDING past their expiry) are destroyed through the \
        executor; one DESTROYED is left alone, and one DESTROYING is left to that destroy unless it has \
        not finished in 6 hours (its run died), so a second sweep does nothing twice. \
        Exit code 0 when every expired environment was handed off.\n\n\
        Examples:\n  idp sweep --dry-run\n  idp sweep --warn-within 48h --executor github --yes"
    )]
    Sweep(SweepArgs),

    /// Inspect the catalog of templates and policies.
    #[command(subcommand)]
    Catalog(CatalogCommand),

    /// Serve the REST API (v1) over this project: catalog, plan, and environments (apply, extend, destroy).
    #[command(
        after_help = "Uses the nearest idp.kdl (or --config) as `idp plan` does; without one, the built-in \
        catalog, no policy and the local state. The OpenAPI 3.1 document is at /api/v1/openapi.json; \
        errors are RFC 9457 problem+json. One line per request goes to stderr (method, path, query \
        names, status, ms); SIGINT or SIGTERM stops it after the requests in flight.\n\n\
        Without authentication (`server { … }` and `role …` in the organisation's idp.kdl) the \
        address must be loopback (127.0.0.1 or ::1): any other is refused with exit code 2. \
        With it, every route but /healthz needs an `idp token` token or the trusted proxy's \
        identity headers.\n\n\
        With `executor github { … }` in idp.kdl (and GH_TOKEN or GITHUB_TOKEN, GITHUB_API_URL \
        for GitHub Enterprise Server), applies, approved plans and destroys are dispatched to the \
        repository's provision.yml and destroy.yml; a posted spec is kept in the record store for \
        the runner (`idp apply --posted`), and GET /api/v1/environments/NAME/runs shows each \
        run's link and steps.\n\n\
        Examples:\n  idp serve\n  idp serve --listen 127.0.0.1:0\n  \
        curl -s --data-binary @examples/orders-preview.kdl -H 'Content-Type: application/kdl' \
        http://127.0.0.1:8080/api/v1/plan"
    )]
    Serve(ServeArgs),

    /// Create, list and revoke the API tokens `idp serve` accepts (an admin's job).
    #[command(
        subcommand,
        after_help = "Tokens are kept hashed (SHA-256) in tokens.json of the state directory; a token is printed once, when created.\n\nExamples:\n  idp token create ci-payments --role developer --team payments\n  idp token list\n  idp token revoke ci-payments"
    )]
    Token(TokenCommand),

    /// Write, build, test and inspect plugins (for template and policy authors).
    #[command(
        subcommand,
        after_help = "A first plugin, in a repository of your own (docs/authoring.md):\n  idp plugin new template docs-site\n  cd docs-site\n  idp plugin build                # the component into catalog/, its entry into catalog.kdl\n  idp plugin test                 # tests/<case>/ through idp's real host\n  idp plan tests/basic/env.kdl    # idp.kdl declares `catalog path=\"catalog\"`"
    )]
    Plugin(PluginCommand),

    /// Run the language server (LSP over stdin/stdout) for env.kdl specs and idp.kdl.
    #[command(
        after_help = "Started by an editor, not by hand (docs/editors.md): diagnostics as `idp plan` \
        shows them (syntax, template inputs, tags, TTL, the project's policies), completion of \
        node names, values and templates, hover with the template's descriptions and defaults, \
        and the monthly cost as a code lens on each environment. Uses the idp.kdl above each \
        document (or --config); records are read from the local state only.\n\n\
        Example (Neovim):\n  vim.lsp.start_client({ name = \"idp\", cmd = { \"idp\", \"lsp\" } })"
    )]
    Lsp,

    /// Format KDL specs and idp.kdl in the canonical layout, comments kept.
    #[command(
        after_help = "Every `*.kdl` file under the paths (skipping hidden and .gitignored ones) is laid out \
        one node per line, four spaces per level, values as written, comments where they were, at \
        most one blank line between nodes. The changed files are listed on stdout. An invalid file \
        is reported at its line and left as it is; so is a KDL 1.0 file, unless --convert-v1.\n\n\
        Exit codes: 0 formatted (or nothing to do), 1 with --check when a file would change, \
        2 an invalid or KDL 1.0 file.\n\n\
        Examples:\n  idp fmt\n  idp fmt --check examples/\n  idp fmt --convert-v1 legacy.kdl"
    )]
    Fmt(FmtArgs),

    /// Print idp's manual page, or write a page per command into a directory.
    #[command(
        after_help = "The pages are made from the same definitions as --help.\n\n\
        Examples:\n  idp man | man -l -\n  idp man --output /usr/local/share/man/man1"
    )]
    Man(ManArgs),

    /// Print shell completions: `idp completions bash > /etc/bash_completion.d/idp`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write `idp.1` and a page per command and subcommand (`idp-plan.1`, …) into DIR
    /// instead of printing `idp.1`.
    #[arg(long, short = 'o', value_name = "DIR")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct FmtArgs {
    /// Files or directories (every `*.kdl` under them); the current directory when none.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Write nothing: list the files that would change, and exit 1 when there are some.
    #[arg(long)]
    pub check: bool,

    /// Rewrite KDL 1.0 files as KDL 2.0 (without it they are reported and left as they are).
    #[arg(long)]
    pub convert_v1: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// Diagnostics at their lines on stderr, a summary on stdout.
    Human,
    /// Stable JSON; see docs/json-output.md.
    Json,
    /// SARIF 2.1.0, for code scanning uploads.
    Sarif,
    /// JUnit XML, for CI test reports.
    Junit,
    /// GitHub Actions annotations (`::error file=…,line=…`).
    Github,
    /// A markdown summary for `$GITHUB_STEP_SUMMARY` or a PR comment.
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Fail on deny findings (and expired waivers).
    Deny,
    /// Fail on warnings too.
    Warn,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Directories or spec files; the current directory when none.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
    pub format: CheckFormat,

    /// Write the report to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Also append the markdown summary to FILE (such as `$GITHUB_STEP_SUMMARY`); with
    /// `--base`, the verdict with its cost deltas.
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,

    /// Lowest severity that fails the check.
    #[arg(long, value_enum, default_value_t = FailOn::Deny)]
    pub fail_on: FailOn,

    /// Worker threads (default: every core).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,

    /// Print where the time went, per stage (and peak memory, cache hits), to stderr:
    /// the one switch for timings; the progress bar shows none.
    #[arg(long)]
    pub stats: bool,

    /// No progress bar (there is none either when stderr is not a terminal).
    #[arg(long, short = 'q')]
    pub quiet: bool,

    /// Also list every environment's estimated monthly cost (human format; JSON always has it).
    #[arg(long)]
    pub cost: bool,

    /// A fresh plugin instance for every call instead of one reused per worker thread
    /// (slower; reuse is safe because plugins are pure, strict proves it).
    #[arg(long)]
    pub strict: bool,

    /// Compute every result, reading and writing no cached one (results are otherwise
    /// kept by content in the cache directory; docs/decisions/0011-check-cache.md).
    #[arg(long, conflicts_with = "cache_readonly")]
    pub no_cache: bool,

    /// Read cached results but write none: for a pull request reading a cache that only
    /// default-branch runs write.
    #[arg(long)]
    pub cache_readonly: bool,

    /// A checkout of the pull request's base branch: check only the specs that differ
    /// from it (or every spec, when an idp.kdl, a catalog or the price book differs), and
    /// with `--format markdown` show each changed environment's cost delta and one verdict.
    #[arg(long, value_name = "DIR")]
    pub base: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CostFormat {
    /// A table per environment.
    Human,
    /// Stable JSON; see docs/json-output.md.
    Json,
    /// Markdown tables, for a pull-request comment.
    Markdown,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct CostArgs {
    #[command(subcommand)]
    pub report: Option<CostCommand>,

    /// The environment spec.
    #[arg(value_name = "SPEC", required = true)]
    pub spec: Option<PathBuf>,

    /// Only the environment with this name, when the file holds several.
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = CostFormat::Human)]
    pub format: CostFormat,

    /// Exit 1 when an environment's monthly total is above this amount.
    #[arg(long, value_name = "AMOUNT")]
    pub budget: Option<f64>,

    /// A spec to compare with (the same environment name, or its only one), or the name
    /// of an applied environment to compare with its estimate as applied.
    #[arg(long, value_name = "BASE")]
    pub compare: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum CostCommand {
    /// Cost over time: each recorded environment's estimates, accrued cost and projection to expiry.
    #[command(
        after_help = "Every apply records its estimate with the environment. An environment accrues from its \
        creation to now (or to its destroy), each stretch at the estimate in force then, and is \
        projected to its expiry at the current one. Amounts marked ≥ are lower bounds.\n\n\
        Examples:\n  idp cost report\n  idp cost report --by team --since 2026-11-01\n  idp cost report --format csv > cost.csv"
    )]
    Report(CostReportArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GroupBy {
    /// Per team.
    Team,
    /// Per owner.
    Owner,
    /// Per template.
    Template,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CostReportFormat {
    /// Tables.
    Human,
    /// Stable JSON; see docs/json-output.md.
    Json,
    /// One row per environment and per group total.
    Csv,
    /// Markdown tables.
    Markdown,
}

#[derive(Debug, Args)]
pub struct CostReportArgs {
    /// Totals per team, owner or template (one total when absent).
    #[arg(long, value_enum)]
    pub by: Option<GroupBy>,

    /// Count only from this date (`2026-11-01`) or instant (RFC 3339) on.
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = CostReportFormat::Human)]
    pub format: CostReportFormat,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub spec: SpecArgs,

    #[command(flatten)]
    pub confirmed: ConfirmedRunArgs,

    /// Plan the spec `idp serve` kept in the record store for `--env NAME` (SPEC is then
    /// `requests/NAME.kdl`, as its record names it): what provision.yml runs for a spec
    /// posted to the portal or the API, which no commit holds.
    #[arg(long, requires = "env")]
    pub posted: bool,
}

/// Whether to ask, whether OpenTofu runs here, and where a change goes (`apply`,
/// `upgrade`, `destroy`).
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Do not ask for confirmation (required when there is no terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,

    /// Run `tofu` (or `terraform`) here, in the workspace: init and apply, or destroy
    /// (local executor).
    #[arg(long, conflicts_with = "no_wait")]
    pub run: bool,

    #[command(flatten)]
    pub handoff: HandoffArgs,
}

/// How a plan is confirmed and applied (`apply`, `upgrade`): [`RunArgs`], and what a
/// dispatched run's runner passes so that it applies only what was confirmed.
#[derive(Debug, Args)]
pub struct ConfirmedRunArgs {
    #[command(flatten)]
    pub run: RunArgs,

    /// Refuse to apply unless the plan digest is this one (what a workflow runner checks
    /// against the digest the user confirmed).
    #[arg(long, value_name = "DIGEST")]
    pub expect_digest: Option<String>,

    /// Plan at the instant this request id was made, as the runner of a dispatched
    /// request does, so the plan is the one the user confirmed.
    #[arg(long, value_name = "ID")]
    pub request_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExecutorKind {
    /// Write the workspace here; `--run` runs tofu here.
    Local,
    /// Dispatch a GitHub Actions workflow and follow its run.
    Github,
}

/// Where an apply or destroy runs, and how long to watch it.
#[derive(Debug, Args)]
pub struct HandoffArgs {
    /// Where to run: `local`, or `github` (the `executor` in idp.kdl when not given).
    #[arg(long, value_enum, value_name = "EXECUTOR")]
    pub executor: Option<ExecutorKind>,

    /// The git ref whose workflows run (github executor; default: `ref` in idp.kdl, else main).
    #[arg(long = "ref", value_name = "REF")]
    pub git_ref: Option<String>,

    /// Return once the run is dispatched and found, without following it (github executor).
    #[arg(long)]
    pub no_wait: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The address and port to listen on: loopback unless idp.kdl configures
    /// authentication (port 0 picks a free one; the address is printed on stderr).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,

    /// Seconds a client may take to send a request's headers, and then its body, before
    /// the server gives up on it.
    #[arg(long, value_name = "SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub read_timeout: u64,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Environment name.
    pub name: String,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct DestroyArgs {
    /// Environment name.
    pub name: String,

    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Args)]
pub struct ExtendArgs {
    /// Environment name.
    pub name: String,

    /// How much longer: `12h`, `3d`, `1w`.
    #[arg(value_name = "DURATION")]
    pub by: String,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct UpgradeArgs {
    /// Environment name.
    pub name: String,

    /// The version to move to (default: the newest the catalog has).
    #[arg(long, value_name = "VERSION")]
    pub to: Option<String>,

    #[command(flatten)]
    pub confirmed: ConfirmedRunArgs,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct DecideArgs {
    /// Environment name.
    pub name: String,

    /// Why (required to reject).
    #[arg(long)]
    pub reason: Option<String>,
}

#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Only list what would be destroyed and what expires soon; dispatch nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Environments expiring within this window are listed as warnings.
    #[arg(long, value_name = "DURATION", default_value = "24h")]
    pub warn_within: String,

    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,

    #[command(flatten)]
    pub handoff: HandoffArgs,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// No progress bar while destroys are dispatched (there is none either when stderr
    /// is not a terminal).
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum PricingCommand {
    /// Rebuild the price book from the AWS Price List API into the cache directory.
    #[command(
        after_help = "Uses the standard AWS credential chain (AWS_PROFILE, AWS_ACCESS_KEY_ID, …); \
        AWS_ENDPOINT_URL_PRICING points it at another endpoint. The refreshed book takes \
        precedence over the embedded one until it is older than IDP_PRICE_BOOK_MAX_AGE_DAYS \
        (default 30). Items the API returns malformed are reported and skipped; the previous \
        book is replaced only when the new one is complete on disk.\n\n\
        Examples:\n  idp pricing refresh\n  idp pricing refresh --region eu-west-1 --region eu-central-1"
    )]
    Refresh {
        /// Regions to price (default: the embedded book's eight; `idp pricing coverage` lists them).
        #[arg(long = "region", value_name = "REGION")]
        regions: Vec<String>,
        /// Write the book here instead of the cache directory.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// No progress bar, and no line per region (the bar stands for them on a terminal).
        #[arg(long, short = 'q')]
        quiet: bool,
    },

    /// Which regions the price book covers, per usage type the built-in templates bill.
    #[command(
        after_help = "A region is covered when every usage type the built-in templates bill with their \
        default inputs has a price (production's Multi-AZ database is shown apart). The book is the one \
        estimates use here: embedded, refreshed, and the organisation's `pricing { book … }` on top. \
        Prices are USD list prices unless the organisation's book says otherwise.\n\n\
        Examples:\n  idp pricing coverage\n  idp pricing coverage --region eu-west-1 --format json"
    )]
    Coverage {
        /// Only these regions, each with a row per usage type.
        #[arg(long = "region", value_name = "REGION")]
        regions: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
}

#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// List every template and policy with version and source.
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Show a template's inputs (name, type, default, description) or a policy's rules.
    Show {
        /// Template or policy name.
        name: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
}

/// Output of `idp plugin test`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TestFormat {
    /// One line per case, and a readable diff for each mismatch.
    Human,
    /// One JSON document on stdout (docs/json-output.md).
    Json,
    /// JUnit XML on stdout, for CI test reports.
    Junit,
}

/// `template` or `policy`, for `idp plugin new`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum NewKind {
    /// Renders an environment into OpenTofu module calls and a bill of materials.
    Template,
    /// Judges a resolved environment and reports findings.
    Policy,
}

#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Create a plugin crate that builds and passes its tests as generated.
    New {
        /// What to create.
        #[arg(value_enum)]
        kind: NewKind,
        /// The plugin's catalog name (kebab-case, such as `docs-site`).
        name: String,
        /// Where to create it (default: `./NAME`); must not exist or be empty.
        #[arg(long, value_name = "DIR")]
        path: Option<PathBuf>,
    },
    /// Build guest crates into components in a catalog directory and update its index.
    ///
    /// A guest crate is a `cdylib` that depends on `idp-plugin-sdk`; its kind and name come
    /// from its `info()`. The toolchain is Debian's `rustc-web` recipe or a rustup toolchain
    /// with `wasm32-unknown-unknown` (`IDP_GUEST_RUSTC` names another compiler). Output goes
    /// to `CARGO_TARGET_DIR`, else `<workspace>/target/guest`.
    Build {
        /// A guest crate, a Cargo workspace of them, or a folder of such workspaces (default: `.`).
        path: Option<PathBuf>,
        /// Build only these packages (crate names).
        #[arg(short = 'p', long = "package", value_name = "CRATE")]
        packages: Vec<String>,
        /// Rebuild without writing and fail if any component differs from the catalog.
        #[arg(long)]
        check: bool,
        /// The catalog directory to write (default: `catalog/` in the Cargo workspace's root).
        #[arg(long, value_name = "DIR")]
        catalog: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Run a plugin's declarative test cases against the built component.
    ///
    /// A case is a directory `<crate>/tests/<case>/` holding `env.kdl`, optionally
    /// `idp.kdl` (such as `policy NAME { settings }`), and the golden files it compares:
    /// `main.tf`, `terraform.tfvars.json`, `findings.json`, `bill.json`, `cost.json` or
    /// `diagnostics.txt`. Exit 0 when every case passes, 1 when one fails, 2 when there is
    /// nothing to run.
    Test {
        /// A guest crate, a Cargo workspace of them, or a folder of such workspaces (default: `.`).
        path: Option<PathBuf>,
        /// Write the golden files present (or, in a case without any, the usual ones)
        /// from what the cases produce now.
        #[arg(long)]
        bless: bool,
        /// The catalog directory holding the built components (default: `catalog/` at
        /// the root of the Cargo workspace).
        #[arg(long, value_name = "DIR")]
        catalog: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = TestFormat::Human)]
        format: TestFormat,
    },
    /// Show what a built component declares: contract version, kind, name, rules, schema.
    Inspect {
        /// The component (`.wasm`).
        file: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Replace a plugin workspace's vendored SDK with the one this idp carries.
    Vendor {
        /// The plugin workspace (default: `.`).
        path: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Make a token and print it on stdout, once: only its hash is kept.
    Create {
        /// Its name: who or what uses it (`ci-payments`).
        name: String,
        /// The role it acts with.
        #[arg(long, value_enum)]
        role: TokenRole,
        /// The team a developer (or viewer) token is limited to.
        #[arg(long, value_name = "TEAM")]
        team: Option<String>,
    },
    /// The tokens kept: names, roles, teams, when made and revoked (never the tokens).
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Revoke a token: requests with it are refused from now on.
    Revoke {
        /// The token's name.
        name: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TokenRole {
    /// Reads.
    Viewer,
    /// Reads, and changes its team's environments.
    Developer,
    /// Reads every team's environments, and approves.
    Approver,
    /// Everything.
    Admin,
}
