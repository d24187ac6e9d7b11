//! A fault-injecting HTTP proxy on loopback in front of moto: a rule decides, per request, to
//! forward it, to answer with Cognito's throttling error or a server error, or to answer itself
//! at once (a Cognito faster than any real one, to see the client's own pacing). Every request
//! is logged with its time, operation and body, so tests can check retries and the rate.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

/// What the proxy does with a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Answer {
    /// Pass it to moto and its answer back.
    Forward,
    /// HTTP 400 `TooManyRequestsException: Rate exceeded`, as Cognito throttles.
    Throttle,
    /// HTTP 500 `InternalErrorException`.
    ServerError,
    /// HTTP 503 with an HTML body, as a load balancer in the way might answer.
    Unavailable,
    /// HTTP 400 `AccessDeniedException`, as Cognito answers a request the policy does not allow.
    Denied,
    /// HTTP 200 with this JSON body, without asking moto.
    Json(String),
}

/// One request the proxy saw.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    /// When it arrived.
    pub(crate) at: Instant,
    /// The operation (`ListUsers`), from `X-Amz-Target`.
    pub(crate) operation: String,
    /// The JSON request body.
    pub(crate) body: String,
    /// What the proxy answered.
    pub(crate) answer: Answer,
}

/// Decides the answer to request number `n` (from 0) of `operation` with this JSON body.
pub(crate) type Rule = dyn Fn(usize, &str, &str) -> Answer + Send + Sync;

/// The running proxy; it stops when dropped.
pub(crate) struct Proxy {
    /// `http://127.0.0.1:PORT`.
    pub(crate) endpoint: String,
    log: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Proxy {
    /// Listens on a free loopback port and forwards to `upstream` (`host:port`).
    pub(crate) fn start(upstream: &str, rule: Box<Rule>) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let log = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (upstream, thread_log, thread_stop) = (upstream.to_owned(), log.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            for client in listener.incoming() {
                if thread_stop.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(client) = client else { continue };
                // One request per connection (every answer says `Connection: close`); the
                // export sends one request at a time, so this thread serves them in turn.
                if let Err(e) = serve(client, &upstream, &rule, &thread_log) {
                    eprintln!("proxy: {e}");
                }
            }
        });
        Proxy {
            endpoint,
            log,
            stop,
            thread: Some(thread),
        }
    }

    /// Every request so far.
    pub(crate) fn seen(&self) -> Vec<Seen> {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.endpoint.trim_start_matches("http://"));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(
    mut client: TcpStream,
    upstream: &str,
    rule: &Rule,
    log: &Mutex<Vec<Seen>>,
) -> std::io::Result<()> {
    let Some((head, body)) = read_message(&mut client)? else {
        return Ok(()); // the wake-up connection, or a client that gave up
    };
    let operation = header(&head, "x-amz-target")
        .and_then(|t| t.rsplit('.').next().map(str::to_owned))
        .unwrap_or_default();
    let at = Instant::now();
    let text = String::from_utf8_lossy(&body).into_owned();
    let answer = {
        let mut log = log.lock().unwrap();
        let answer = rule(log.len(), &operation, &text);
        log.push(Seen {
            at,
            operation,
            body: text,
            answer: answer.clone(),
        });
        answer
    };
    let response = match answer {
        Answer::Forward => forward(upstream, &head, &body)?,
        Answer::Throttle => error_response(
            "400 Bad Request",
            "TooManyRequestsException",
            "Rate exceeded",
        ),
        Answer::ServerError => error_response(
            "500 Internal Server Error",
            "InternalErrorException",
            "injected by the test proxy",
        ),
        Answer::Denied => error_response(
            "400 Bad Request",
            "AccessDeniedException",
            "User: arn:aws:iam::123456789012:user/exporter is not authorized to perform: \
             cognito-idp:AdminGetUser",
        ),
        Answer::Unavailable => {
            let body = "<html><body>503 Service Unavailable</body></html>";
            format!(
                "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/html\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
            .into_bytes()
        }
        Answer::Json(body) => format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    };
    client.write_all(&response)?;
    client.flush()
}

/// A Cognito JSON error: `__type` in the body and `x-amzn-ErrorType` in the headers.
fn error_response(status: &str, error_type: &str, message: &str) -> Vec<u8> {
    let body = format!(r#"{{"__type":"{error_type}","message":"{message}"}}"#);
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/x-amz-json-1.1\r\n\
         x-amzn-ErrorType: {error_type}\r\nx-amzn-RequestId: 00000000-0000-0000-0000-000000000000\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Sends the request to moto on a new connection and returns its answer, marked
/// `Connection: close`.
fn forward(upstream: &str, head: &str, body: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut moto = TcpStream::connect(upstream)?;
    moto.write_all(with_connection_close(head).as_bytes())?;
    moto.write_all(body)?;
    let (head, body) = read_message(&mut moto)?.ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "moto sent nothing")
    })?;
    let mut response = with_connection_close(&head).into_bytes();
    response.extend_from_slice(&body);
    Ok(response)
}

/// The head (start line and headers, ending with the blank line) with any `Connection` or
/// `Keep-Alive` header replaced by `Connection: close`.
fn with_connection_close(head: &str) -> String {
    let mut lines: Vec<&str> = head
        .split("\r\n")
        .filter(|l| {
            let name = l
                .split(':')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            !l.is_empty() && name != "connection" && name != "keep-alive"
        })
        .collect();
    lines.push("Connection: close");
    lines.join("\r\n") + "\r\n\r\n"
}

fn header(head: &str, name: &str) -> Option<String> {
    head.split("\r\n").skip(1).find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().to_owned())
    })
}

/// Reads one HTTP message with a `Content-Length` body (or a body to the end of the stream);
/// `None` when the peer closed without sending anything.
fn read_message(stream: &mut TcpStream) -> std::io::Result<Option<(String, Vec<u8>)>> {
    let mut data = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return if data.is_empty() {
                Ok(None)
            } else {
                Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "the message ended in its headers",
                ))
            };
        }
        data.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
    let mut body = data[head_end..].to_vec();
    match header(&head, "content-length").and_then(|v| v.parse::<usize>().ok()) {
        Some(len) => {
            while body.len() < len {
                let n = stream.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                body.extend_from_slice(&buf[..n]);
            }
        }
        None => {
            stream.read_to_end(&mut body)?;
        }
    }
    Ok(Some((head, body)))
}
