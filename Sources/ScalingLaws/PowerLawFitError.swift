/// Why a fit was refused. Each message says what was given and what is needed, so
/// a sweep log explains itself without the reader opening the code.
public enum PowerLawFitError: Error, Equatable, CustomStringConvertible {
    /// Fewer distinct x than the law has parameters (a, b, c): the fit is not determined.
    case tooFewPoints(given: Int, distinctX: Int, needed: Int)
    /// The law takes `log x`; x must be > 0.
    case nonPositiveX(index: Int, x: Double)
    /// NaN or infinity in x, y or weight (`field` names which).
    case nonFinite(index: Int, field: String)
    /// A weight must be > 0 (drop the point instead of weighting it by 0).
    case nonPositiveWeight(index: Int, weight: Double)
    /// The held-out check was asked to hold out more x than leaves a determined fit.
    case invalidHoldOut(holdLargest: Int, distinctX: Int, needed: Int)
    /// Numerical failure: no finite parameters came out (should not happen on valid input).
    case fitFailed(String)

    public var description: String {
        switch self {
        case let .tooFewPoints(given, distinctX, needed):
            return "power-law fit L(x) = a*x^(-b) + c needs at least \(needed) points with distinct x "
                + "(one per parameter); got \(given) point\(given == 1 ? "" : "s") "
                + "with \(distinctX) distinct x"
        case let .nonPositiveX(index, x):
            return "power-law fit needs x > 0; point \(index) has x = \(x)"
        case let .nonFinite(index, field):
            return "power-law fit needs finite values; point \(index) has a non-finite \(field)"
        case let .nonPositiveWeight(index, weight):
            return "power-law fit needs weights > 0; point \(index) has weight \(weight)"
        case let .invalidHoldOut(k, distinctX, needed):
            return "held-out check cannot hold out the \(k) largest x: there are \(distinctX) distinct x "
                + "and the fit needs \(needed) left, so 1...\(max(0, distinctX - needed)) can be held out"
        case let .fitFailed(why):
            return "power-law fit failed: \(why)"
        }
    }
}
