import Collectives
import ShardedEmbeddings

/// Predicted traffic against the ledger over the union of both sides'
/// phases: a phase the run measured that the predictor does not know, or
/// one predicted that the run never made, is a mismatch like a wrong byte;
/// so is a wrong count of collectives.
public enum PhaseComparison {
    /// One line per difference (empty: they agree on every phase, rank and
    /// link class). `measured[r]` is rank r's ledger (`CommLedger.run`).
    public static func mismatches(_ predicted: PredictedTraffic, _ measured: [[PhaseTotals]], what: String) -> [String] {
        var out: [String] = []
        for tag in predicted.phases.map(\.phase) where !CommPhase.allCases.contains(where: { $0.tag == tag }) {
            out.append("\(what): predicted phase \(tag) is no ledger phase")
        }
        for phase in CommPhase.allCases {
            let p = predicted.phase(phase)
            for (r, ledger) in measured.enumerated() {
                let m = ledger[phase.rawValue]
                let at = "\(what), \(phase.tag), rank \(r)"
                guard let p else {
                    if m.bytesSent > 0 || m.calls > 0 { out.append("\(at): measured (\(m.bytesSent) bytes, \(m.calls) calls) but not predicted") }
                    continue
                }
                if p.bytesSent[r] != m.bytesSent { out.append("\(at): bytes sent predicted \(p.bytesSent[r]), measured \(m.bytesSent)") }
                if p.intraNodeBytes[r] != m.intraNodeBytesSent {
                    out.append("\(at): intra-node bytes predicted \(p.intraNodeBytes[r]), measured \(m.intraNodeBytesSent)")
                }
                if p.calls[r] != m.calls { out.append("\(at): collectives predicted \(p.calls[r]), measured \(m.calls)") }
                if p.interNodeBytes[r] != m.interNodeBytesSent {
                    out.append("\(at): inter-node bytes predicted \(p.interNodeBytes[r]), measured \(m.interNodeBytesSent)")
                }
            }
        }
        return out
    }
}
