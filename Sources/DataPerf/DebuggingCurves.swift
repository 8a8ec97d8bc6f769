import RunKit

/// curves.svg of a debugging evaluation: seed-mean eval AUC against the
/// fraction of rows fixed, one line per submission.
enum DebuggingCurves {
    static func svg(_ scores: [SubmissionScore]) -> String {
        let series = scores.compactMap { s -> Plot.Series? in
            guard let d = s.debugging else { return nil }
            let start = d.noisyAuc.map { [(0.0, $0)] } ?? []
            return Plot.Series(name: s.submission, points: start + d.grid.compactMap { p in p.auc.map { (p.fraction, $0) } })
        }
        return Plot(title: "DataPerf debugging: eval AUC after fixing the first i/n rows", xLabel: "fraction of rows fixed (i/n)",
                    yLabel: "eval AUC (mean over seeds)", xScale: .log, series: series).render()
    }
}
