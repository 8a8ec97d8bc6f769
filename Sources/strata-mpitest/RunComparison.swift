import Collectives
import Foundation
import Training

/// Two runs against each other (the reliability tests): every dumped array
/// (dense parameters, then each table) within RTOL of B's largest magnitude
/// (as the equivalence checks), and the losses of every step both runs logged
/// within RTOL of B's. RTOL 0 asks for bit-identical values.
enum RunComparison {
    static func run(_ args: [String]) throws {
        guard args.count == 3 || args.count == 5, let rtol = Double(args[0]) else {
            throw InputError("usage: compare RTOL A.params B.params [A/steps.jsonl B/steps.jsonl]")
        }
        let a = try ParameterDump.read(args[1]), b = try ParameterDump.read(args[2])
        var failures: [String] = []
        if a.count != b.count { failures.append("\(a.count) arrays vs \(b.count)") }
        for (i, (x, y)) in zip(a, b).enumerated() {
            let name = i == 0 ? "dense parameters" : "table \(i - 1)"
            guard x.count == y.count else { failures.append("\(name): \(x.count) values vs \(y.count)"); continue }
            let scale = Double(y.reduce(Float(0)) { max($0, abs($1)) })
            let worst = zip(x, y).reduce(0.0) { max($0, Double(abs($1.0 - $1.1))) }
            if x.contains(where: { !$0.isFinite }) || worst > rtol * max(scale, 1e-6) {
                failures.append("\(name): max difference \(worst) of scale \(scale)")
            }
        }
        var compared = 0
        if args.count == 5 {
            let la = try losses(args[3]), lb = try losses(args[4])
            if la.keys.sorted() != lb.keys.sorted() { failures.append("steps logged differ: \(la.count) vs \(lb.count)") }
            for (step, y) in lb.sorted(by: { $0.key < $1.key }) {
                guard let x = la[step] else { continue }
                compared += 1
                if abs(x - y) > rtol * abs(y) { failures.append("step \(step): loss \(x) vs \(y)") }
            }
        }
        if failures.isEmpty {
            print("compare: \(a.count) arrays and \(compared) losses agree within \(rtol)")
        } else {
            throw InputError("compare: " + failures.prefix(8).joined(separator: "; "))
        }
    }

    static func losses(_ path: String) throws -> [Int: Double] {
        struct Line: Decodable { var step: Int; var loss: Double }
        guard let data = FileManager.default.contents(atPath: path) else { throw InputError("\(path): cannot read") }
        var out: [Int: Double] = [:]
        for line in data.split(separator: 0x0A) {
            let l = try JSONDecoder().decode(Line.self, from: Data(line))
            guard out[l.step] == nil else { throw InputError("\(path): step \(l.step) logged twice") }
            out[l.step] = l.loss
        }
        return out
    }
}
