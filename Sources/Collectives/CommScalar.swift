/// The element types that cross ranks. Each maps to one MPI datatype in
/// CollectivesMPI; the ledger counts `MemoryLayout<Self>.stride` bytes each.
public enum ScalarKind: Int, Sendable, CaseIterable {
    case float, double, int64, int32, uint8
    /// 16-bit float payloads (fp16 or bf16 bits); moved, never reduced.
    case uint16

    public var byteWidth: Int {
        switch self {
        case .float, .int32: return 4
        case .double, .int64: return 8
        case .uint8: return 1
        case .uint16: return 2
        }
    }
}

public protocol CommScalar: Numeric, Comparable {
    static var scalarKind: ScalarKind { get }
}

extension Float: CommScalar { public static var scalarKind: ScalarKind { .float } }
extension Double: CommScalar { public static var scalarKind: ScalarKind { .double } }
extension Int64: CommScalar { public static var scalarKind: ScalarKind { .int64 } }
extension Int32: CommScalar { public static var scalarKind: ScalarKind { .int32 } }
extension UInt8: CommScalar { public static var scalarKind: ScalarKind { .uint8 } }
extension UInt16: CommScalar { public static var scalarKind: ScalarKind { .uint16 } }

/// Reductions offered by `allreduce`.
public enum ReduceOp: Int, Sendable {
    case sum, min, max
}
