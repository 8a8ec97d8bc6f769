import Foundation
import Training

/// Median and spread of repeated measurements, for every `strata bench` part.
public struct Spread: Codable {
    public var median: Double
    public var min: Double
    public var max: Double
    public var samples: Int

    public init(_ values: [Double]) {
        precondition(!values.isEmpty, "no measurements")
        let s = values.sorted()
        let n = s.count
        median = n % 2 == 1 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2])
        min = s[0]
        max = s[n - 1]
        samples = n
    }

    /// `median (min-max)` with `digits` decimals, for the tables.
    public func text(_ digits: Int = 1, scale: Double = 1) -> String {
        "\(BenchFormat.fixed(median * scale, digits)) (\(BenchFormat.fixed(min * scale, digits))-\(BenchFormat.fixed(max * scale, digits)))"
    }
}

public enum BenchFormat {
    public static func fixed(_ v: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", v) }

    public static func pad(_ s: String, _ width: Int, left: Bool = false) -> String {
        s.count >= width ? s : (left ? s + String(repeating: " ", count: width - s.count)
                                     : String(repeating: " ", count: width - s.count) + s)
    }

    /// A right-aligned table (first column left-aligned).
    public static func table(_ header: [String], _ rows: [[String]]) -> String {
        let widths = header.indices.map { c in ([header[c]] + rows.map { $0[c] }).map(\.count).max()! }
        func line(_ r: [String]) -> String {
            r.indices.map { pad(r[$0], widths[$0], left: $0 == 0) }.joined(separator: "  ")
        }
        return ([line(header), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")] + rows.map(line))
            .joined(separator: "\n")
    }

}

/// The machine a figure came from, recorded in every JSON report.
struct BenchMachine: Codable {
    var cpu: String
    var cores: Int
    var blasThreads: Int

    static func current(blasThreads: Int) -> BenchMachine {
        var model = "unknown"
        if let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
           let line = text.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
           let colon = line.firstIndex(of: ":") {
            model = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return BenchMachine(cpu: model, cores: ProcessInfo.processInfo.activeProcessorCount, blasThreads: blasThreads)
    }
}
