import Data
import Foundation

/// The inputs of one conversion, in day order: file names as given, brace
/// ranges expanded (`day_{0..23}.gz`, for a quoted list the shell left alone),
/// and folders replaced by their visible files in natural order (day_2 before
/// day_10). `-` is standard input.
public enum CriteoInputs {
    public static func expand(_ arguments: [String]) throws -> [String] {
        var out: [String] = []
        for a in arguments {
            for path in braces(a) {
                var isDir: ObjCBool = false
                if path != "-", FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
                    let names: [String]
                    do { names = try FileManager.default.contentsOfDirectory(atPath: path) } catch {
                        throw DataError.unreadable(file: path, reason: "cannot list the folder: \(error.localizedDescription)")
                    }
                    let files = names.filter { !$0.hasPrefix(".") }.sorted(by: naturalOrder).map { path + "/" + $0 }
                    guard !files.isEmpty else { throw DataError.unreadable(file: path, reason: "the folder holds no files") }
                    out += files
                } else {
                    out.append(path)
                }
            }
        }
        if out.contains("-") && out.count > 1 {
            throw DataError.invalidConfig("standard input (-) converts alone, not beside other inputs")
        }
        return out
    }

    /// `a{0..3}b` as a0b ... a3b (the first range; the rest of the name expands again).
    static func braces(_ s: String) -> [String] {
        guard let open = s.firstIndex(of: "{"), let close = s[open...].firstIndex(of: "}") else { return [s] }
        let inner = s[s.index(after: open)..<close]
        let ends = inner.components(separatedBy: "..")
        guard ends.count == 2, let lo = Int(ends[0]), let hi = Int(ends[1]), lo <= hi, hi - lo < 100_000 else { return [s] }
        let head = String(s[..<open]), tail = String(s[s.index(after: close)...])
        return (lo...hi).flatMap { braces(head + String($0) + tail) }
    }

    /// Names compared with their digit runs as numbers.
    static func naturalOrder(_ a: String, _ b: String) -> Bool {
        func parts(_ s: String) -> [(String, Int?)] {
            var out: [(String, Int?)] = [], run = "", digits = false
            for c in s {
                if c.isASCII && c.isNumber != digits, !run.isEmpty { out.append((run, digits ? Int(run) : nil)); run = "" }
                digits = c.isASCII && c.isNumber
                run.append(c)
            }
            if !run.isEmpty { out.append((run, digits ? Int(run) : nil)) }
            return out
        }
        let pa = parts(a), pb = parts(b)
        for (x, y) in zip(pa, pb) where x.0 != y.0 {
            if let i = x.1, let j = y.1, i != j { return i < j }
            return x.0 < y.0
        }
        return pa.count < pb.count
    }
}
