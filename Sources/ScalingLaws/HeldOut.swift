/// The extrapolation check the sweep reports: fit on the smaller x, predict the
/// largest. A law that is real predicts the next decade; a curve that merely
/// interpolates does not, and R^2 on the fitted points cannot tell the two apart.
extension PowerLawFit {
    /// Holds out every point at the `k` largest distinct x (all seeds of a run size
    /// go together, so no seed of a held-out size leaks into the fit), fits the rest,
    /// and compares each held-out point with the prediction.
    public func heldOut(_ points: [ScalingPoint], holdLargest k: Int) throws -> HeldOutReport {
        _ = try FitData(points, needed: Self.parametersNeeded) // same refusals as fit
        let xs = Set(points.map(\.x)).sorted(by: >)
        guard k >= 1, xs.count - k >= Self.parametersNeeded else {
            throw PowerLawFitError.invalidHoldOut(holdLargest: k, distinctX: xs.count,
                                                  needed: Self.parametersNeeded)
        }
        let held = Set(xs.prefix(k))
        let training = try curve(points.filter { !held.contains($0.x) })
        let law = training.law
        let predictions = points.filter { held.contains($0.x) }.sorted { $0.x < $1.x }.map { p in
            let predicted = law(p.x)
            let error = p.y == 0 ? predicted : (predicted - p.y) / abs(p.y)
            return HeldOutPrediction(x: p.x, observed: p.y, predicted: predicted, relativeError: error)
        }
        let mare = predictions.map { abs($0.relativeError) }.reduce(0, +) / Double(predictions.count)
        return HeldOutReport(holdLargest: k, trainingFit: law, predictions: predictions,
                             meanAbsRelativeError: mare)
    }
}
