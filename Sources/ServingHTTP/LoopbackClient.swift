#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// An HTTP/1.1 reply: status, lower-cased headers, body.
public struct HTTPReply: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: [UInt8]
    public var text: String { String(decoding: body, as: UTF8.self) }
}

public struct ClientError: Error, CustomStringConvertible {
    public var description: String
    init(_ s: String) { description = s }
}

/// One keep-alive connection to 127.0.0.1 with blocking sockets: the load
/// generator's client (a thread per connection; no event loop, so its cost is
/// plain to measure) and the tests'. Loopback only by construction.
public final class LoopbackConnection {
    private var fd: Int32
    private var buffer = [UInt8](repeating: 0, count: 1 << 16)
    private var pending: [UInt8] = []

    public init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ClientError("socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard ok == 0 else {
            let e = String(cString: strerror(errno)); close(fd)
            throw ClientError("connect 127.0.0.1:\(port): \(e)")
        }
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Sends one request and reads its reply (Content-Length or chunked).
    public func send(_ method: String, _ path: String, body: [UInt8] = [], contentType: String = "application/json") throws -> HTTPReply {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n"
        if method != "GET" { head += "Content-Type: \(contentType)\r\nContent-Length: \(body.count)\r\n" }
        head += "\r\n"
        try writeAll(Array(head.utf8))
        if !body.isEmpty { try writeAll(body) }
        return try readReply()
    }

    private func writeAll(_ bytes: [UInt8]) throws {
        var at = 0
        while at < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + at, $0.count - at, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw ClientError("send: \(String(cString: strerror(errno)))") }
            at += n
        }
    }

    private func fill() throws {
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw ClientError(n == 0 ? "connection closed by the server" : "recv: \(String(cString: strerror(errno)))") }
            pending += buffer[0..<n]
            return
        }
    }

    private func line() throws -> String {
        while true {
            if let i = pending.firstIndex(of: 10) {
                let l = String(decoding: pending[0..<i], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                pending.removeFirst(i + 1)
                return l
            }
            try fill()
        }
    }

    private func bytes(_ n: Int) throws -> [UInt8] {
        while pending.count < n { try fill() }
        let out = Array(pending[0..<n])
        pending.removeFirst(n)
        return out
    }

    private func readReply() throws -> HTTPReply {
        let status = try line()
        let parts = status.split(separator: " ")
        guard parts.count >= 2, let code = Int(parts[1]) else { throw ClientError("bad status line '\(status)'") }
        var headers: [String: String] = [:]
        while true {
            let l = try line()
            if l.isEmpty { break }
            if let c = l.firstIndex(of: ":") {
                headers[l[..<c].lowercased()] = l[l.index(after: c)...].trimmingCharacters(in: .whitespaces)
            }
        }
        var body: [UInt8] = []
        if let length = headers["content-length"].flatMap(Int.init) {
            body = try bytes(length)
        } else if headers["transfer-encoding"]?.lowercased() == "chunked" {
            while true {
                let size = Int(try line().split(separator: ";")[0], radix: 16) ?? 0
                if size == 0 { _ = try line(); break }
                body += try bytes(size)
                _ = try line()
            }
        }
        return HTTPReply(status: code, headers: headers, body: body)
    }
}
