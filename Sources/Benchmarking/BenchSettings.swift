import Collectives
import Training

/// What every `strata bench` command shares: timed repetitions, untimed ones
/// first (steps, for `bench train`), OpenBLAS threads and where the JSON goes.
public struct BenchSettings: Sendable {
    public var reps: Int
    public var warmup: Int
    public var blasThreads: Int
    /// Write the report as JSON to this file ("-": standard output, instead of the table).
    public var json: String?

    public init(reps: Int, warmup: Int, blasThreads: Int, json: String?) {
        self.reps = reps; self.warmup = warmup; self.blasThreads = blasThreads; self.json = json
    }

    /// The report as JSON where asked, then the table unless the JSON went to standard output.
    func emit<T: Encodable>(_ report: T, table: () -> String) throws {
        if let json {
            try StrataJSON.write(report, to: json)
            if json == "-" { return }
        }
        print(table())
    }
}
