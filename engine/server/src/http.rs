//! The listener: loopback only, HTTP/1.1 with a deadline for each request's headers, and
//! a graceful stop on SIGINT or SIGTERM (no new connection; requests in flight finish,
//! for at most [`DRAIN`]).

use std::net::SocketAddr;
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use idp_plan::Project;
use tokio::net::TcpListener;

use crate::{AppState, Options, Peer, ServerError, router};

/// How long requests in flight may take to finish once a stop is asked for.
pub const DRAIN: Duration = Duration::from_secs(10);

/// Refuses an address other machines could reach unless authentication is configured
/// (`server { … }` in the organisation's `idp.kdl`).
pub fn check_listen(addr: SocketAddr, authenticated: bool) -> Result<(), ServerError> {
    if authenticated || addr.ip().is_loopback() {
        Ok(())
    } else {
        Err(ServerError::NotLoopback { addr })
    }
}

/// Serves the API for `project` until SIGINT or SIGTERM. `listening` is told the bound
/// address (port 0 picks one) once requests are accepted.
pub fn serve(
    project: Project,
    options: Options,
    listening: impl FnOnce(SocketAddr),
) -> Result<(), ServerError> {
    check_listen(options.listen, project.config.access.server.is_some())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| ServerError::Runtime {
            reason: e.to_string(),
        })?;
    runtime.block_on(run(project, options, listening))
}

async fn run(
    project: Project,
    options: Options,
    listening: impl FnOnce(SocketAddr),
) -> Result<(), ServerError> {
    let bind = |e: std::io::Error| ServerError::Bind {
        addr: options.listen,
        reason: e.to_string(),
    };
    let listener = TcpListener::bind(options.listen).await.map_err(bind)?;
    let local = listener.local_addr().map_err(bind)?;
    let stop = stop_signal()?;
    let log = options.log.clone();
    let read_timeout = options.read_timeout;
    let app = router(AppState::new(project, options));
    listening(local);
    let graceful = GracefulShutdown::new();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, peer)) = accepted else {
                    // Out of file descriptors, say: let some connections end first.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                let connection = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(read_timeout)
                    .serve_connection(
                        TokioIo::new(stream),
                        // Who is at the other end: identity headers count only from the
                        // trusted proxy.
                        TowerToHyperService::new(app.clone().layer(axum::Extension(Peer(peer)))),
                    );
                let connection = graceful.watch(connection);
                tokio::spawn(async move {
                    // A client that hangs up or times out is its own problem, not the server's.
                    let _ = connection.await;
                });
            }
            _ = &mut stop => break,
        }
    }
    drop(listener);
    log("stopping: finishing requests in flight");
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(DRAIN) => log("stopped with requests still in flight"),
    }
    Ok(())
}

/// Resolves on the first SIGINT or SIGTERM.
fn stop_signal() -> Result<impl std::future::Future<Output = ()>, ServerError> {
    let runtime = |e: std::io::Error| ServerError::Runtime {
        reason: format!("cannot watch for signals: {e}"),
    };
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).map_err(runtime)?;
        let mut int = signal(SignalKind::interrupt()).map_err(runtime)?;
        Ok(async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    {
        let _ = runtime;
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_addresses_are_served() {
        for ok in ["127.0.0.1:8080", "127.0.0.2:0", "[::1]:8080"] {
            assert!(
                check_listen(ok.parse().expect("addr"), false).is_ok(),
                "{ok}"
            );
        }
        for refused in ["0.0.0.0:8080", "[::]:8080", "192.168.1.10:80"] {
            let addr = refused.parse().expect("addr");
            let err = check_listen(addr, false).map_err(|e| e.is_input());
            assert_eq!(err, Err(true), "{refused}");
            assert!(
                check_listen(addr, true).is_ok(),
                "{refused} with authentication"
            );
        }
    }
}
