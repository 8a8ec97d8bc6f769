import Tensors

/// `model.gemm`: which GEMM kernels the dense layers may use.
public enum GemmMode: String, Sendable, Codable, CaseIterable {
    /// Each layer's fastest of the allowed kernels, timed at start-up.
    case auto
    /// OpenBLAS fp32 only (the path before oneDNN; bit for bit the same).
    case openblas
    /// oneDNN only (fp32, and bf16 too under `model.precision: bf16`).
    case onednn
}

/// `model.precision`: the number format of the dense GEMMs' inputs. Master
/// weights, gradients and optimizer state stay f32 either way; bf16 narrows
/// a GEMM's two inputs (to nearest) and accumulates in f32.
public enum DensePrecision: String, Sendable, Codable, CaseIterable {
    case fp32
    case bf16
}

/// One GEMM implementation.
public enum GemmKernel: Int32, Sendable, CaseIterable, CustomStringConvertible {
    case openblas = 0
    case onednnFP32 = 1
    case onednnBF16 = 2

    public var description: String {
        switch self {
        case .openblas: return "openblas-fp32"
        case .onednnFP32: return "onednn-fp32"
        case .onednnBF16: return "onednn-bf16"
        }
    }
}

/// `model.gemm` and `model.precision` together.
public struct GemmOptions: Sendable, Equatable {
    public var mode: GemmMode
    public var precision: DensePrecision

    public init(mode: GemmMode = .openblas, precision: DensePrecision = .fp32) {
        self.mode = mode; self.precision = precision
    }

    /// Today's path: OpenBLAS fp32 and nothing else.
    public static let openblas = GemmOptions(mode: .openblas, precision: .fp32)

    /// The kernels a layer may use, in order of preference on a tie: fp32
    /// allows the fp32 ones; bf16 allows all three (a narrow layer is often
    /// faster in fp32). `nativeBF16: false` drops bf16 (see `DenseGemm.note`).
    public func allowed(nativeBF16: Bool) -> [GemmKernel] {
        let bf16 = precision == .bf16 && nativeBF16
        switch mode {
        case .openblas: return [.openblas]
        case .onednn: return bf16 ? [.onednnFP32, .onednnBF16] : [.onednnFP32]
        case .auto: return bf16 ? [.openblas, .onednnFP32, .onednnBF16] : [.openblas, .onednnFP32]
        }
    }
}

/// A GEMM's shape, as BLAS sees it: `C[m x n] = alpha op(A) op(B) (+ C)`,
/// every operand dense (leading dimension = its row length). `accumulate`
/// is beta = 1 (else 0); `scaled`: alpha varies per call (else it is 1).
public struct GemmShape: Hashable, Sendable, CustomStringConvertible {
    public var transA: Bool, transB: Bool
    public var m: Int, n: Int, k: Int
    public var accumulate: Bool, scaled: Bool

    public init(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                accumulate: Bool = false, scaled: Bool = false) {
        self.transA = transA; self.transB = transB; self.m = m; self.n = n; self.k = k
        self.accumulate = accumulate; self.scaled = scaled
    }

    public var lda: Int { transA ? m : k }
    public var ldb: Int { transB ? k : n }
    public var flops: Double { 2 * Double(m) * Double(n) * Double(k) }

    /// e.g. `256x512x13 NT` (m x n x k, then op(A) op(B): N plain, T transposed), `+=` when accumulating.
    public var description: String {
        "\(m)x\(n)x\(k) \(transA ? "T" : "N")\(transB ? "T" : "N")\(accumulate ? " +=" : "")"
    }
}
