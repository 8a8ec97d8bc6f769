import Foundation

/// How the server turns the round's aggregated update into its next model
/// (Flower's strategies). Every strategy first forms the weighted mean of the
/// client updates, `Delta = sum_i w_i (w - w_i) / sum_i w_i` (w_i the client's
/// model, weight its sample count), then:
///
/// - `fedAvg`: `w -= eta * Delta` (eta = 1 is McMahan et al.'s FedAvg).
/// - `fedProx(mu)`: FedAvg's server; the clients add `mu/2 |w - w_global|^2`
///   to their loss (Li et al. 2020).
/// - `fedAdagrad`, `fedAdam`, `fedYogi`: Reddi et al. 2021 ("Adaptive
///   Federated Optimization", Algorithm 2) with `d = -Delta`:
///   `m = b1 m + (1 - b1) d`;
///   Adagrad `v = v + d^2`; Adam `v = b2 v + (1 - b2) d^2`;
///   Yogi `v = v - (1 - b2) d^2 sign(v - d^2)`;
///   `w = w + eta * m / (sqrt(v) + tau)`. No bias correction, as the paper.
public enum Strategy: Sendable, Equatable, Codable {
    case fedAvg(serverLR: Double)
    case fedProx(mu: Double, serverLR: Double)
    case fedAdagrad(eta: Double, beta1: Double, tau: Double)
    case fedAdam(eta: Double, beta1: Double, beta2: Double, tau: Double)
    case fedYogi(eta: Double, beta1: Double, beta2: Double, tau: Double)

    /// The config names, in the order `--help` lists them.
    public static let names = ["fedavg", "fedprox", "fedadagrad", "fedadam", "fedyogi"]

    /// Builds a strategy from its config name and parameters (Flower's
    /// defaults where a parameter is missing); an unknown name is refused,
    /// naming `key`.
    public static func named(_ name: String, key: String = "strategy.name", mu: Double? = nil, eta: Double? = nil,
                             beta1: Double? = nil, beta2: Double? = nil, tau: Double? = nil) throws -> Strategy {
        switch name.lowercased() {
        case "fedavg": return .fedAvg(serverLR: eta ?? 1)
        case "fedprox": return .fedProx(mu: mu ?? 0.01, serverLR: eta ?? 1)
        case "fedadagrad": return .fedAdagrad(eta: eta ?? 0.1, beta1: beta1 ?? 0, tau: tau ?? 1e-9)
        case "fedadam": return .fedAdam(eta: eta ?? 0.1, beta1: beta1 ?? 0.9, beta2: beta2 ?? 0.99, tau: tau ?? 1e-9)
        case "fedyogi": return .fedYogi(eta: eta ?? 0.01, beta1: beta1 ?? 0.9, beta2: beta2 ?? 0.99, tau: tau ?? 1e-3)
        default:
            throw FLConfigError(key: key, "unknown strategy '\(name)' (known: \(names.joined(separator: ", ")))")
        }
    }

    public var name: String {
        switch self {
        case .fedAvg: return "fedavg"
        case .fedProx: return "fedprox"
        case .fedAdagrad: return "fedadagrad"
        case .fedAdam: return "fedadam"
        case .fedYogi: return "fedyogi"
        }
    }

    /// The proximal mu the clients use (0 unless FedProx).
    public var proximalMu: Float {
        if case .fedProx(let mu, _) = self { return Float(mu) }
        return 0
    }
}

/// How the server steps its model by the round's aggregated update: the seam
/// where a strategy outside this module (RF^2, FedGPO) plugs in its own rule.
public protocol ServerUpdateRule: AnyObject {
    /// Steps `w` (n floats) by `delta = w - mean(w_i)`.
    func step(_ w: UnsafeMutablePointer<Float>, delta: UnsafePointer<Float>, count n: Int)
}

/// The server's optimizer state (m and v for the adaptive strategies).
public final class ServerOptimizer: ServerUpdateRule {
    public let strategy: Strategy
    var m: [Float], v: [Float]

    public init(strategy: Strategy, parameters: Int) {
        self.strategy = strategy
        switch strategy {
        case .fedAvg, .fedProx: m = []; v = []
        case .fedAdagrad, .fedAdam, .fedYogi:
            m = [Float](repeating: 0, count: parameters)
            v = [Float](repeating: 0, count: parameters)
        }
    }

    /// Steps `w` (n floats) by the aggregated update `delta = w - mean(w_i)`.
    public func step(_ w: UnsafeMutablePointer<Float>, delta: UnsafePointer<Float>, count n: Int) {
        switch strategy {
        case .fedAvg(let lr), .fedProx(_, let lr):
            let eta = Float(lr)
            for i in 0..<n { w[i] -= eta * delta[i] }
        case .fedAdagrad(let eta, let b1, let tau):
            adaptive(w, delta, n, eta: Float(eta), b1: Float(b1), tau: Float(tau)) { v, d2 in v + d2 }
        case .fedAdam(let eta, let b1, let b2, let tau):
            let b2 = Float(b2)
            adaptive(w, delta, n, eta: Float(eta), b1: Float(b1), tau: Float(tau)) { v, d2 in b2 * v + (1 - b2) * d2 }
        case .fedYogi(let eta, let b1, let b2, let tau):
            let b2 = Float(b2)
            adaptive(w, delta, n, eta: Float(eta), b1: Float(b1), tau: Float(tau)) { v, d2 in
                let s: Float = v - d2 > 0 ? 1 : (v - d2 < 0 ? -1 : 0)
                return v - (1 - b2) * d2 * s
            }
        }
    }

    private func adaptive(_ w: UnsafeMutablePointer<Float>, _ delta: UnsafePointer<Float>, _ n: Int,
                          eta: Float, b1: Float, tau: Float, second: (Float, Float) -> Float) {
        for i in 0..<n {
            let d = -delta[i]
            m[i] = b1 * m[i] + (1 - b1) * d
            v[i] = second(v[i], d * d)
            w[i] += eta * m[i] / (v[i].squareRoot() + tau)
        }
    }
}

/// A config value the runtime refuses, naming its key.
public struct FLConfigError: Error, CustomStringConvertible, Equatable {
    public var key: String
    public var message: String
    public init(key: String, _ message: String) { self.key = key; self.message = message }
    public var description: String { "\(key): \(message)" }
}
