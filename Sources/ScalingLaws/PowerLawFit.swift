import Foundation

/// Fits `L(x) = a * x^(-b) + c` to a sweep axis by non-linear least squares.
///
/// Two stages (see `ProfileSearch` and `LevenbergMarquardt`): a robust 1-D search
/// over `c` with a log-log line inside gives a start that cannot be fooled by a bad
/// guess, then Levenberg-Marquardt makes it the least-squares fit on y. Data that
/// do not decay are fitted anyway and the result says so (`b <= 0`, or `c` at the
/// edge of the searched range) instead of crashing or inventing a decay.
///
/// A value type with the knobs; every method is deterministic for a given `seed`.
public struct PowerLawFit: Sendable {
    /// The law has three parameters, so at least three distinct x are needed.
    public static let parametersNeeded = 3

    /// Bootstrap resamples for the intervals (0 turns the bootstrap off).
    public var bootstrapResamples: Int
    /// Seed of the bootstrap's generator.
    public var seed: UInt64
    /// Interval coverage: 0.95 gives the 2.5 / 97.5 percentiles.
    public var confidenceLevel: Double

    public init(bootstrapResamples: Int = 200, seed: UInt64 = 0x5CA1_AB1E, confidenceLevel: Double = 0.95) {
        self.bootstrapResamples = bootstrapResamples
        self.seed = seed
        self.confidenceLevel = confidenceLevel
    }

    /// The full result for one axis: point fit, bootstrap intervals and, when
    /// `holdLargest > 0`, the held-out check on the `holdLargest` largest distinct x.
    public func fit(_ points: [ScalingPoint], holdLargest: Int = 0) throws -> FitResult {
        var result = try curve(points)
        if bootstrapResamples > 0 {
            result.ci = bootstrap(points)
            if result.ci == nil {
                result.warnings.append("bootstrap: too few resamples gave a fit; no intervals")
            }
        }
        if holdLargest > 0 {
            result.heldOut = try heldOut(points, holdLargest: holdLargest)
        }
        return result
    }

    /// Convenience for parallel arrays (weights default to 1).
    public func fit(x: [Double], y: [Double], weights: [Double]? = nil, holdLargest: Int = 0) throws -> FitResult {
        precondition(x.count == y.count && (weights?.count ?? x.count) == x.count,
                     "fit(x:y:weights:) needs arrays of equal length")
        let points = x.indices.map { ScalingPoint(x: x[$0], y: y[$0], weight: weights?[$0] ?? 1) }
        return try fit(points, holdLargest: holdLargest)
    }

    /// The point fit alone (no bootstrap, no held-out check): what the bootstrap
    /// and the held-out check call on their subsets.
    public func curve(_ points: [ScalingPoint]) throws -> FitResult {
        let data = try FitData(points, needed: Self.parametersNeeded)
        var warnings: [String] = []
        let yMin = data.y.min()!, yMax = data.y.max()!
        var aU: Double, b: Double, c: Double
        if yMax - yMin <= 0 {
            // Constant data: any b fits with a = 0; report the flat law rather than guess.
            (aU, b, c) = (0, 0, yMin)
            warnings.append("y is constant: no decay to fit (a = 0, b = 0, c = y)")
        } else {
            guard let (start, atBoundary) = ProfileSearch(data: data).run() else {
                throw PowerLawFitError.fitFailed("no value of c gave a finite log-log fit")
            }
            let polished = LevenbergMarquardt(data: data).polish(aU: start.aU, b: start.b, c: start.c)
            (aU, b, c) = (polished.aU, polished.b, polished.c)
            if atBoundary {
                warnings.append("c reached the edge of the searched range (c = \(start.c) before polishing): "
                    + "the data do not determine the asymptote")
            }
        }
        let a = aU == 0 ? 0 : aU * exp(b * log(data.x0))
        guard a.isFinite, b.isFinite, c.isFinite else {
            throw PowerLawFitError.fitFailed("non-finite parameters (a = \(a), b = \(b), c = \(c))")
        }
        if b <= 0, yMax > yMin {
            warnings.append("b = \(b) <= 0: y does not decrease with x as a power law")
        }
        let stats = FitStatistics(data: data, law: aU, b: b, c: c)
        return FitResult(a: a, b: b, c: c, r2: stats.r2, rmse: stats.rmse, points: data.count,
                         warnings: warnings)
    }
}
