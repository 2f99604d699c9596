//! MCP over stdio with the same bounds and answers as the HTTP transport.
//!
//! rmcp's own stdio transport accepts lines of up to 16 MiB and drops a longer one without an
//! answer, ignores a line that is not JSON, and answers JSON of the wrong shape with a bare
//! "Invalid request" without its id. Here each line on stdin is one message of at most
//! `--max-message-bytes` (the bound of an HTTP body, 1 MiB by default), and a line the service
//! cannot take gets the JSON-RPC error the HTTP transport gives for the same bytes
//! ([`crate::jsonrpc`]): `-32600` naming the limit, `-32700` for what is not JSON, `-32600`
//! keeping the id for JSON of the wrong shape, `-32602` for a `tools/call` with wrongly typed
//! params. A notification of the wrong shape gets no answer (JSON-RPC never answers a
//! notification). The session goes on after each of them.
//!
//! Reading runs in its own task, so memory stays bounded by one line (the codec discards the
//! rest of a long line as it arrives) and a message is never half-read when rmcp drops a
//! `receive` it polled in a `select!`. Messages and error answers are written whole, one per
//! line, under one lock.

use std::io;
use std::sync::Arc;

use bytes::BytesMut;
use rmcp::RoleServer;
use rmcp::service::{RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::Transport;
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{Mutex, mpsc};
use tokio::task::JoinHandle;
use tokio_util::codec::{AnyDelimiterCodec, AnyDelimiterCodecError, Decoder};
use tokio_util::sync::CancellationToken;

use crate::jsonrpc;

/// Messages read ahead of the service: a few, so a busy service slows the reader down.
const READ_AHEAD: usize = 8;

/// A UTF-8 byte order mark, which some Windows clients put before their first line.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The stdio transport over `read` and `write` (stdin and stdout, or any pipe in tests).
pub fn transport<R, W>(read: R, write: W, max_message_bytes: usize) -> StdioTransport<W>
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let output = Arc::new(Mutex::new(write));
    let (messages, incoming) = mpsc::channel(READ_AHEAD);
    let input_ended = CancellationToken::new();
    let ended = input_ended.clone().drop_guard();
    let reader_output = output.clone();
    let reader = tokio::spawn(async move {
        read_messages(read, max_message_bytes, messages, reader_output).await;
        drop(ended);
    });
    StdioTransport {
        incoming,
        output,
        reader,
        input_ended,
    }
}

/// See the module documentation.
pub struct StdioTransport<W> {
    incoming: mpsc::Receiver<RxJsonRpcMessage<RoleServer>>,
    output: Arc<Mutex<W>>,
    reader: JoinHandle<()>,
    input_ended: CancellationToken,
}

impl<W> StdioTransport<W> {
    /// Cancelled when the input has ended (or could not be read): requests that would run
    /// until cancelled (`subscriptions/listen`) end then, instead of holding the exit.
    pub fn input_ended(&self) -> CancellationToken {
        self.input_ended.clone()
    }
}

impl<W> Drop for StdioTransport<W> {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

impl<W> Transport<RoleServer> for StdioTransport<W>
where
    W: AsyncWrite + Unpin + Send + 'static,
{
    type Error = io::Error;

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleServer>,
    ) -> impl Future<Output = Result<(), io::Error>> + Send + 'static {
        let output = self.output.clone();
        async move {
            let line = serde_json::to_vec(&item).map_err(io::Error::other)?;
            write_line(&output, line).await
        }
    }

    async fn receive(&mut self) -> Option<RxJsonRpcMessage<RoleServer>> {
        self.incoming.recv().await
    }

    async fn close(&mut self) -> Result<(), io::Error> {
        self.reader.abort();
        self.incoming.close();
        self.output.lock().await.flush().await
    }
}

/// Writes one message and its newline, whole, then flushes.
async fn write_line<W: AsyncWrite + Unpin>(output: &Mutex<W>, mut line: Vec<u8>) -> io::Result<()> {
    line.push(b'\n');
    let mut output = output.lock().await;
    output.write_all(&line).await?;
    output.flush().await
}

/// What to do with one line.
enum Line {
    Message(Box<RxJsonRpcMessage<RoleServer>>),
    Answer(Value),
    Nothing,
}

fn classify_line(line: &[u8]) -> Line {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let line = line.strip_prefix(UTF8_BOM).unwrap_or(line);
    if line.iter().all(u8::is_ascii_whitespace) {
        return Line::Nothing;
    }
    if let Some(refused) = jsonrpc::invalid_tool_call(line) {
        return Line::Answer(refused);
    }
    match serde_json::from_slice::<RxJsonRpcMessage<RoleServer>>(line) {
        Ok(message) => Line::Message(Box::new(message)),
        Err(_) => {
            let notification = serde_json::from_slice::<Value>(line)
                .is_ok_and(|v| v.get("method").is_some() && v.get("id").is_none());
            if notification {
                tracing::debug!("ignoring a notification the server cannot decode");
                Line::Nothing
            } else {
                Line::Answer(jsonrpc::undecodable(line))
            }
        }
    }
}

/// Reads lines until the input ends, the service stops listening or the output fails.
async fn read_messages<R, W>(
    mut read: R,
    max_message_bytes: usize,
    messages: mpsc::Sender<RxJsonRpcMessage<RoleServer>>,
    output: Arc<Mutex<W>>,
) where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut codec =
        AnyDelimiterCodec::new_with_max_length(b"\n".to_vec(), Vec::new(), max_message_bytes);
    let mut buffer = BytesMut::with_capacity(8 * 1024);
    let mut eof = false;
    loop {
        let decoded = if eof {
            codec.decode_eof(&mut buffer)
        } else {
            codec.decode(&mut buffer)
        };
        let answer = match decoded {
            Ok(Some(line)) => match classify_line(&line) {
                Line::Message(message) => {
                    if messages.send(*message).await.is_err() {
                        return;
                    }
                    continue;
                }
                Line::Answer(answer) => answer,
                Line::Nothing => continue,
            },
            Ok(None) if eof => return,
            Ok(None) => {
                match read.read_buf(&mut buffer).await {
                    Ok(0) => eof = true,
                    Ok(_) => {}
                    Err(e) => {
                        tracing::error!("reading stdin failed: {e}");
                        return;
                    }
                }
                continue;
            }
            Err(AnyDelimiterCodecError::MaxChunkLengthExceeded) => {
                tracing::warn!(
                    max_message_bytes,
                    "a message on stdin was over the limit and was skipped"
                );
                jsonrpc::too_large(max_message_bytes, "message", "--max-message-bytes")
            }
            Err(AnyDelimiterCodecError::Io(e)) => {
                tracing::error!("reading stdin failed: {e}");
                return;
            }
        };
        let line = serde_json::to_vec(&answer).unwrap_or_default();
        if let Err(e) = write_line(&output, line).await {
            tracing::error!("writing stdout failed: {e}");
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;
    use tokio::io::{AsyncBufReadExt, BufReader, DuplexStream, Lines};

    use super::*;

    struct Pipe {
        transport: StdioTransport<DuplexStream>,
        input: DuplexStream,
        output: Lines<BufReader<DuplexStream>>,
    }

    fn pipe(max: usize) -> Pipe {
        let (input, server_in) = tokio::io::duplex(64 * 1024);
        let (server_out, output) = tokio::io::duplex(64 * 1024);
        Pipe {
            transport: transport(server_in, server_out, max),
            input,
            output: BufReader::new(output).lines(),
        }
    }

    impl Pipe {
        async fn write(&mut self, bytes: &[u8]) {
            self.input.write_all(bytes).await.unwrap();
        }

        async fn answer(&mut self) -> Value {
            let line = tokio::time::timeout(Duration::from_secs(5), self.output.next_line())
                .await
                .expect("no answer within 5 s")
                .unwrap()
                .expect("the output ended");
            serde_json::from_str(&line).unwrap()
        }

        async fn message(&mut self) -> Value {
            let message = tokio::time::timeout(Duration::from_secs(5), self.transport.receive())
                .await
                .expect("no message within 5 s")
                .expect("the input ended");
            serde_json::to_value(message).unwrap()
        }
    }

    const PING: &[u8] = b"{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"ping\"}\n";

    /// A line over the bound was dropped without an answer by rmcp's transport (at
    /// 16 MiB, 16 times the HTTP bound), leaving the client waiting forever.
    #[tokio::test]
    async fn a_line_over_the_bound_is_answered_and_the_session_goes_on() {
        let mut pipe = pipe(16 * 1024);
        let long = format!(
            "{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{{\"name\":\"search\",\"arguments\":{{\"query\":\"{}\"}}}}}}\n",
            "x".repeat(100 * 1024)
        );
        // Written in the background: the pipe holds less than the line.
        let mut input = pipe.input;
        let writer = tokio::spawn(async move {
            input.write_all(long.as_bytes()).await.unwrap();
            input.write_all(PING).await.unwrap();
            input
        });
        pipe.input = tokio::io::duplex(1).0;
        let answer = pipe.answer().await;
        assert_eq!(answer["id"], Value::Null);
        assert_eq!(answer["error"]["code"], jsonrpc::INVALID_REQUEST);
        let text = answer["error"]["message"].as_str().unwrap();
        assert!(
            text.contains("16384 bytes") && text.contains("--max-message-bytes"),
            "{text}"
        );
        let next = pipe.message().await;
        assert_eq!(next["method"], "ping");
        assert_eq!(next["id"], 9);
        writer.await.unwrap();
    }

    #[tokio::test]
    async fn undecodable_lines_get_the_answers_the_http_transport_gives() {
        let mut pipe = pipe(16 * 1024);
        pipe.write(b"{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \n")
            .await;
        let parse = pipe.answer().await;
        assert_eq!(parse["error"]["code"], jsonrpc::PARSE_ERROR);
        assert_eq!(parse["id"], Value::Null);

        pipe.write(b"{\"id\": 7, \"method\": \"tools/list\"}\n")
            .await;
        let shape = pipe.answer().await;
        assert_eq!(shape["error"]["code"], jsonrpc::INVALID_REQUEST);
        assert_eq!(shape["id"], 7);

        pipe.write(b"[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]\n")
            .await;
        let batch = pipe.answer().await;
        assert!(
            batch["error"]["message"]
                .as_str()
                .unwrap()
                .contains("batches"),
            "{batch}"
        );

        pipe.write(
            b"{\"jsonrpc\":\"2.0\",\"id\":\"c\",\"method\":\"tools/call\",\"params\":{\"name\":\"search\",\"arguments\":[]}}\n",
        )
        .await;
        let call = pipe.answer().await;
        assert_eq!(call["error"]["code"], jsonrpc::INVALID_PARAMS);
        assert_eq!(call["id"], "c");

        // Invalid UTF-8 is not JSON.
        pipe.write(b"\xff\xfe\n").await;
        assert_eq!(pipe.answer().await["error"]["code"], jsonrpc::PARSE_ERROR);

        pipe.write(PING).await;
        assert_eq!(pipe.message().await["id"], 9);
    }

    #[tokio::test]
    async fn blank_lines_bad_notifications_crlf_and_a_bom_are_handled_quietly() {
        let mut pipe = pipe(16 * 1024);
        pipe.write(b"\n   \r\n").await;
        pipe.write(b"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":5}\n")
            .await;
        pipe.write(b"\xEF\xBB\xBF{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\r\n")
            .await;
        let message = pipe.message().await;
        assert_eq!(
            message,
            json!({"jsonrpc": "2.0", "id": 1, "method": "ping"})
        );
        // Nothing was answered before the ping.
        let pending =
            tokio::time::timeout(Duration::from_millis(100), pipe.output.next_line()).await;
        assert!(pending.is_err(), "unexpected output: {pending:?}");
    }

    #[tokio::test]
    async fn a_last_line_without_a_newline_is_read_and_the_input_then_ends() {
        let mut pipe = pipe(16 * 1024);
        pipe.write(&PING[..PING.len() - 1]).await;
        pipe.input.shutdown().await.unwrap();
        assert_eq!(pipe.message().await["id"], 9);
        let end = tokio::time::timeout(Duration::from_secs(5), pipe.transport.receive()).await;
        assert!(end.unwrap().is_none());
    }

    #[tokio::test]
    async fn sent_messages_are_whole_lines() {
        let mut pipe = pipe(16 * 1024);
        let response: TxJsonRpcMessage<RoleServer> = serde_json::from_value(json!({
            "jsonrpc": "2.0", "id": 3, "result": {}
        }))
        .unwrap();
        pipe.transport.send(response).await.unwrap();
        assert_eq!(pipe.answer().await["id"], 3);
    }
}
