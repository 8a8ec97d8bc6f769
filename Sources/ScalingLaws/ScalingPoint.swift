/// One observation for a scaling-law fit: the swept quantity `x` (data, parameters,
/// compute; must be > 0) and the metric `y` (loss, NE).
///
/// `weight` multiplies the point's squared residual. It exists so that a mean over
/// `n` seeds can count as `n` runs (its variance is sigma^2 / n) without the caller
/// repeating the point; the default of 1 is an ordinary unweighted fit.
public struct ScalingPoint: Codable, Sendable, Equatable {
    public var x: Double
    public var y: Double
    public var weight: Double

    public init(x: Double, y: Double, weight: Double = 1) {
        self.x = x
        self.y = y
        self.weight = weight
    }
}
