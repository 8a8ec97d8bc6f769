import Foundation
import OneDNN
import Tensors

/// The dense layers' GEMM kernels: every layer registers its shapes here at
/// construction (`site`), `tune` times each shape's allowed kernels once at
/// start-up and keeps the fastest (cuDNN's benchmark mode), `adopt` installs
/// choices made elsewhere (rank 0's, so every rank runs the same kernels).
/// Primitives and buffers are all created before the first step.
public final class DenseGemm {
    public let options: GemmOptions
    /// One line when the options could not be honoured as given (bf16 asked
    /// on a CPU without native bf16: the run uses fp32), else nil.
    public let note: String?
    /// Every distinct shape, in the order the layers registered them.
    public private(set) var sites: [GemmSite] = []
    private var byShape: [GemmShape: GemmSite] = [:]
    private let allowed: [GemmKernel]

    public init(options: GemmOptions) {
        self.options = options
        let native = options.precision == .bf16 && options.mode != .openblas ? OneDNN.hasNativeBF16 : false
        note = options.precision == .bf16 && options.mode != .openblas && !native
            ? "model.precision: bf16 needs a CPU with native bf16 (oneDNN reports \(OneDNN.isa)); running fp32" : nil
        allowed = options.allowed(nativeBF16: native)
        if allowed != [.openblas] { OneDNN.limitThreads(BLAS.threads) }
    }

    /// Today's path: no sites, every call on OpenBLAS fp32.
    public static var openblas: DenseGemm { DenseGemm(options: .openblas) }

    /// The site for `shape`, shared by every caller of that shape; nil when
    /// only OpenBLAS is allowed (the caller's `gemm(nil, ...)` is BLAS.gemm).
    public func site(_ shape: GemmShape, label: String) -> GemmSite? {
        guard allowed != [.openblas], shape.m > 0, shape.n > 0, shape.k > 0 else { return nil }
        let s = byShape[shape] ?? {
            let s = GemmSite(shape: shape, allowed: allowed)
            byShape[shape] = s
            sites.append(s)
            return s
        }()
        s.labels.append(label)
        return s
    }

    /// Times every allowed kernel of every site for about `seconds` each (at
    /// least 3 calls after 2 warm-ups, the fastest call counted) and picks the
    /// fastest; a later kernel must beat the earlier ones by 5 % to be chosen,
    /// so a near tie keeps the simpler one. Inputs are small random values in
    /// buffers allocated for the timing alone. Returns the choices in `sites` order.
    ///
    /// A shape already tuned in this process (with the same kernels allowed)
    /// keeps its first choice: timing noise cannot give a second model in the
    /// process (a resumed run, a test's reference run) other kernels, so runs
    /// within one process repeat bit for bit.
    @discardableResult
    public func tune(seconds: Double = 0.003) -> [GemmKernel] {
        let big = sites.map { max($0.shape.m * $0.shape.k, $0.shape.k * $0.shape.n, $0.shape.m * $0.shape.n) }.max() ?? 0
        guard big > 0 else { return [] }
        let a = FlatBuffer<Float>(count: big), b = FlatBuffer<Float>(count: big), c = FlatBuffer<Float>(count: big)
        for i in 0..<big {
            a.pointer[i] = StrataRNG.normal(seed: 7, stream: 0, index: UInt64(i)) * 0.1
            b.pointer[i] = StrataRNG.normal(seed: 7, stream: 1, index: UInt64(i)) * 0.1
        }
        for site in sites where site.allowed.count > 1 {
            let key = Memo(shape: site.shape, allowed: site.allowed.map(\.rawValue))
            if let k = Memo.lock.withLock({ Memo.chosen[key] }) { site.kernel = k; continue }
            var best = site.allowed[0], bestNs = Double.infinity
            for kernel in site.allowed {
                c.zero()
                let ns = Self.time(seconds: seconds) { site.run(kernel, alpha: 1, a: a.pointer, b: b.pointer, c: c.pointer) }
                site.timings[kernel] = ns
                if ns < bestNs * 0.95 { best = kernel; bestNs = ns }
            }
            site.kernel = best
            Memo.lock.withLock { Memo.chosen[key] = best }
        }
        return sites.map(\.kernel)
    }

    /// This process's choices so far, by shape and allowed kernels.
    private struct Memo: Hashable {
        var shape: GemmShape
        var allowed: [Int32]
        nonisolated(unsafe) static var chosen: [Memo: GemmKernel] = [:]
        static let lock = NSLock()
    }

    /// `tune` on one process of a group and the same choices on all: the root
    /// tunes, `share` broadcasts its array (one Int32 a shape) in place from
    /// the root, the others adopt it. Why not each process its own: under
    /// fp32 the kernels differ in rounding, and timing noise would let
    /// ranks pick differently. Every member must have registered the same shapes.
    public func tuneAgreed(isRoot: Bool, share: (inout [Int32]) -> Void) {
        guard sites.contains(where: { $0.allowed.count > 1 }) else { return }
        var kernels = isRoot ? tune().map(\.rawValue) : [Int32](repeating: 0, count: sites.count)
        share(&kernels)
        if !isRoot { adopt(kernels.map { GemmKernel(rawValue: $0) ?? .openblas }) }
    }

    /// Installs choices (from `tune` on another rank with the same shapes);
    /// one not allowed here falls back to the site's first allowed kernel.
    public func adopt(_ kernels: [GemmKernel]) {
        precondition(kernels.count == sites.count, "\(kernels.count) GEMM choices for \(sites.count) shapes")
        for (site, k) in zip(sites, kernels) { site.kernel = site.allowed.contains(k) ? k : site.allowed[0] }
    }

    /// The kernel of every shape, with its layers and (where timed here) each
    /// allowed kernel's GFLOP/s: printed once, in summary.json and checkpoints.
    public var choices: [GemmChoice] {
        sites.map { s in
            var g: [String: Double] = [:]
            for (k, ns) in s.timings { g[k.description] = (s.shape.flops / ns * 10).rounded() / 10 }
            return GemmChoice(layers: s.labels, shape: s.shape.description, kernel: s.kernel.description,
                              gflops: g.isEmpty ? nil : g)
        }
    }

    /// Installs saved choices (a checkpoint's) on the shapes they name, so a
    /// resumed run keeps its kernels and continues bit for bit; a shape not
    /// named, or a kernel not allowed here, keeps the current choice.
    public func adopt(saved: [GemmChoice]) {
        let byShape = Dictionary(saved.map { ($0.shape, $0.kernel) }, uniquingKeysWith: { a, _ in a })
        for s in sites {
            if let name = byShape[s.shape.description], let k = s.allowed.first(where: { $0.description == name }) { s.kernel = k }
        }
    }

    /// Nanoseconds of the fastest of the calls made in about `seconds`.
    private static func time(seconds: Double, _ body: () -> Void) -> Double {
        body(); body()
        let clock = ContinuousClock(), deadline = clock.now + .nanoseconds(Int64(seconds * 1e9))
        var best = Double.infinity, calls = 0
        while calls < 3 || clock.now < deadline {
            let t0 = clock.now
            body()
            let d = clock.now - t0
            best = min(best, Double(d.components.seconds) * 1e9 + Double(d.components.attoseconds) / 1e9)
            calls += 1
        }
        return best
    }
}

/// One GEMM shape's kernel, as printed at start-up and kept in summary.json
/// and checkpoints.
public struct GemmChoice: Codable, Sendable, Equatable, CustomStringConvertible {
    /// The layers and directions of this shape, e.g. "top.0 dW".
    public var layers: [String]
    /// `GemmShape.description`, e.g. "256x512x367 NT".
    public var shape: String
    /// `GemmKernel.description`, e.g. "onednn-fp32".
    public var kernel: String
    /// Each timed kernel's GFLOP/s (nil: not timed in this process).
    public var gflops: [String: Double]?

    public var description: String {
        let t = (gflops ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        return "\(layers.joined(separator: ", ")) [\(shape)]: \(kernel)" + (t.isEmpty ? "" : " (GFLOP/s: \(t.joined(separator: ", ")))")
    }
}
