#if canImport(Glibc)
import Glibc
#endif

/// A small JSON reader for request bodies. Foundation's JSONDecoder took
/// most of a request's time on DeepRecSys shapes (a 400-candidate RMC1
/// request is 256k ids, ~2 MB); this one reads arrays of numbers straight
/// into [Double] and builds nothing else per id. Strict RFC 8259 syntax;
/// errors give the byte offset.
public enum JSONValue {
    case object([(String, JSONValue)])
    case array([JSONValue])
    /// An array whose elements are all numbers (the common case, kept flat).
    case numbers([Double])
    case number(Double)
    case string(String)
    case bool(Bool)
    case null

    var kind: String {
        switch self {
        case .object: return "an object"
        case .array, .numbers: return "an array"
        case .number: return "a number"
        case .string: return "a string"
        case .bool: return "a boolean"
        case .null: return "null"
        }
    }
}

public struct JSONReader {
    let bytes: UnsafeBufferPointer<UInt8>
    var at = 0
    var depth = 0

    public struct Failure: Error { public var offset: Int; public var message: String }

    public static func parse(_ body: [UInt8]) throws -> JSONValue {
        try body.withUnsafeBufferPointer { b in
            var r = JSONReader(bytes: b)
            let v = try r.value()
            r.skip()
            guard r.at == b.count else { throw Failure(offset: r.at, message: "trailing characters") }
            return v
        }
    }

    mutating func skip() {
        while at < bytes.count, bytes[at] == 0x20 || bytes[at] == 0x0A || bytes[at] == 0x0D || bytes[at] == 0x09 { at += 1 }
    }

    mutating func value() throws -> JSONValue {
        skip()
        guard at < bytes.count else { throw Failure(offset: at, message: "unexpected end") }
        switch bytes[at] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default: return .number(try number())
        }
    }

    mutating func literal(_ word: StaticString) throws {
        let n = word.utf8CodeUnitCount
        guard at + n <= bytes.count, (0..<n).allSatisfy({ bytes[at + $0] == word.utf8Start[$0] }) else {
            throw Failure(offset: at, message: "unexpected character")
        }
        at += n
    }

    mutating func object() throws -> JSONValue {
        depth += 1
        guard depth < 64 else { throw Failure(offset: at, message: "nested too deeply") }
        defer { depth -= 1 }
        at += 1
        var fields: [(String, JSONValue)] = []
        skip()
        if at < bytes.count, bytes[at] == UInt8(ascii: "}") { at += 1; return .object(fields) }
        while true {
            skip()
            guard at < bytes.count, bytes[at] == UInt8(ascii: "\"") else { throw Failure(offset: at, message: "expected a key") }
            let key = try string()
            skip()
            guard at < bytes.count, bytes[at] == UInt8(ascii: ":") else { throw Failure(offset: at, message: "expected ':'") }
            at += 1
            fields.append((key, try value()))
            skip()
            guard at < bytes.count else { throw Failure(offset: at, message: "unexpected end") }
            if bytes[at] == UInt8(ascii: ",") { at += 1; continue }
            if bytes[at] == UInt8(ascii: "}") { at += 1; return .object(fields) }
            throw Failure(offset: at, message: "expected ',' or '}'")
        }
    }

    mutating func array() throws -> JSONValue {
        depth += 1
        guard depth < 64 else { throw Failure(offset: at, message: "nested too deeply") }
        defer { depth -= 1 }
        at += 1
        skip()
        if at < bytes.count, bytes[at] == UInt8(ascii: "]") { at += 1; return .numbers([]) }
        var numbers: [Double] = []
        var values: [JSONValue]?
        while true {
            skip()
            guard at < bytes.count else { throw Failure(offset: at, message: "unexpected end") }
            let c = bytes[at]
            if values == nil, c == UInt8(ascii: "-") || (c >= 0x30 && c <= 0x39) {
                numbers.append(try number())
            } else {
                if values == nil { values = numbers.map { .number($0) } }
                values!.append(try value())
            }
            skip()
            guard at < bytes.count else { throw Failure(offset: at, message: "unexpected end") }
            if bytes[at] == UInt8(ascii: ",") { at += 1; continue }
            if bytes[at] == UInt8(ascii: "]") { at += 1; break }
            throw Failure(offset: at, message: "expected ',' or ']'")
        }
        return values.map { .array($0) } ?? .numbers(numbers)
    }

    mutating func number() throws -> Double {
        let start = at
        var negative = false
        if at < bytes.count, bytes[at] == UInt8(ascii: "-") { negative = true; at += 1 }
        var integer: UInt64 = 0, digits = 0
        while at < bytes.count, bytes[at] >= 0x30, bytes[at] <= 0x39, digits < 18 {
            integer = integer * 10 + UInt64(bytes[at] - 0x30); at += 1; digits += 1
        }
        guard digits > 0 else { throw Failure(offset: start, message: "expected a value") }
        if at < bytes.count, bytes[at] == UInt8(ascii: ".") || bytes[at] == UInt8(ascii: "e") || bytes[at] == UInt8(ascii: "E")
            || (bytes[at] >= 0x30 && bytes[at] <= 0x39) {
            // Not a short integer: let strtod read it whole.
            while at < bytes.count, [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"), UInt8(ascii: "+"), UInt8(ascii: "-")].contains(bytes[at])
                    || (bytes[at] >= 0x30 && bytes[at] <= 0x39) { at += 1 }
            var text = Array(bytes[start..<at])
            text.append(0)
            var end: UnsafeMutablePointer<CChar>?
            let v = text.withUnsafeBufferPointer { p in
                p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { c in
                    let v = strtod(c, &end)
                    return end.map { $0 == c + p.count - 1 } == true ? v : Double.nan
                }
            }
            guard !v.isNaN else { throw Failure(offset: start, message: "malformed number") }
            return v
        }
        return negative ? -Double(integer) : Double(integer)
    }

    mutating func string() throws -> String {
        at += 1
        var out: [UInt8] = []
        while at < bytes.count {
            let c = bytes[at]
            at += 1
            if c == UInt8(ascii: "\"") { return String(decoding: out, as: UTF8.self) }
            if c == UInt8(ascii: "\\") {
                guard at < bytes.count else { break }
                let e = bytes[at]
                at += 1
                switch e {
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "u"):
                    guard at + 4 <= bytes.count, let u = UInt32(String(decoding: bytes[at..<at + 4], as: UTF8.self), radix: 16) else {
                        throw Failure(offset: at, message: "bad \\u escape")
                    }
                    at += 4
                    out += Array(String(UnicodeScalar(u).map(Character.init) ?? "?").utf8)
                default: out.append(e)
                }
            } else {
                guard c >= 0x20 else { throw Failure(offset: at - 1, message: "control character in a string") }
                out.append(c)
            }
        }
        throw Failure(offset: at, message: "unterminated string")
    }
}
