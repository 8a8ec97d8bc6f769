import CMPI
import Collectives
import Foundation

/// The real communicator: every raw primitive is one MPI call. This file and
/// `MPIEnvironment.swift` are the only Swift that touches MPI.
public final class MPICommunicator: Communicator {
    public let rank: Int
    public let size: Int
    public let worldRanks: [Int]
    public let ledger: CommLedger
    let comm: MPI_Comm
    /// The MPI communicator itself, for the one library that needs it passed
    /// in (ScaLAPACK's BLACS grids, built over this communicator's ranks).
    public var mpiHandle: OpaquePointer { comm }

    init(comm: MPI_Comm, worldRanks: [Int]?, ledger: CommLedger?, topology: Topology?) {
        self.comm = comm
        var r: Int32 = 0, s: Int32 = 0
        MPI_Comm_rank(comm, &r)
        MPI_Comm_size(comm, &s)
        rank = Int(r)
        size = Int(s)
        self.worldRanks = worldRanks ?? Array(0..<Int(s))
        self.ledger = ledger ?? CommLedger(worldRank: Int(r), topology: topology!)
    }

    static func datatype(_ kind: ScalarKind) -> MPI_Datatype {
        switch kind {
        case .float: return strata_mpi_float()
        case .double: return strata_mpi_double()
        case .int64: return strata_mpi_int64()
        case .int32: return strata_mpi_int32()
        case .uint8: return strata_mpi_uint8()
        case .uint16: return strata_mpi_uint16()
        }
    }

    static func op(_ op: ReduceOp) -> MPI_Op {
        switch op {
        case .sum: return strata_mpi_sum()
        case .min: return strata_mpi_min()
        case .max: return strata_mpi_max()
        }
    }

    @inline(__always)
    func check(_ rc: Int32, _ what: StaticString) {
        if rc != strata_mpi_success() {
            FileHandle.standardError.write("strata: rank \(worldRank): \(what) failed with MPI error \(rc)\n".data(using: .utf8)!)
            abort(code: 1)
        }
    }

    public func rawBarrier() { check(MPI_Barrier(comm), "MPI_Barrier") }

    public func rawBroadcast(_ buffer: UnsafeMutableRawPointer?, count: Int, kind: ScalarKind, root: Int) {
        check(MPI_Bcast(buffer, Int32(count), Self.datatype(kind), Int32(root), comm), "MPI_Bcast")
    }

    public func rawAllreduce(_ buffer: UnsafeMutableRawPointer?, count: Int, kind: ScalarKind, op: ReduceOp) {
        guard count > 0 else { return }
        check(MPI_Allreduce(strata_mpi_in_place(), buffer, Int32(count), Self.datatype(kind), Self.op(op), comm),
              "MPI_Allreduce")
    }

    public func rawAlltoall(send: UnsafeRawPointer?, recv: UnsafeMutableRawPointer?, countPerPeer: Int, kind: ScalarKind) {
        let t = Self.datatype(kind)
        check(MPI_Alltoall(send, Int32(countPerPeer), t, recv, Int32(countPerPeer), t, comm), "MPI_Alltoall")
    }

    public func rawAlltoallv(send: UnsafeRawPointer?, recv: UnsafeMutableRawPointer?,
                             layout: AlltoallvLayout, kind: ScalarKind) {
        let t = Self.datatype(kind)
        check(MPI_Alltoallv(send, layout.sendCounts, layout.sendDispls, t,
                            recv, layout.recvCounts, layout.recvDispls, t, comm), "MPI_Alltoallv")
    }

    public func rawStartAlltoallv(send: UnsafeRawPointer?, recv: UnsafeMutableRawPointer?,
                                  layout: AlltoallvLayout, kind: ScalarKind, request: CommRequest) {
        let t = Self.datatype(kind)
        var req: MPI_Request? = strata_mpi_request_null()
        check(MPI_Ialltoallv(send, layout.sendCounts, layout.sendDispls, t,
                             recv, layout.recvCounts, layout.recvDispls, t, comm, &req), "MPI_Ialltoallv")
        request.handle = UnsafeMutableRawPointer(req)
    }

    public func rawStartAllreduce(_ buffer: UnsafeMutableRawPointer?, count: Int, kind: ScalarKind, op: ReduceOp,
                                  request: CommRequest) {
        var req: MPI_Request? = strata_mpi_request_null()
        if count > 0 && size > 1 {   // one rank: the sum is the buffer (and libnbc would allocate a schedule)
            check(MPI_Iallreduce(strata_mpi_in_place(), buffer, Int32(count), Self.datatype(kind), Self.op(op), comm, &req),
                  "MPI_Iallreduce")
        }
        request.handle = UnsafeMutableRawPointer(req)
    }

    public func rawWait(_ request: CommRequest) {
        var req: MPI_Request? = request.handle.map { MPI_Request($0) }
        check(MPI_Wait(&req, strata_mpi_status_ignore()), "MPI_Wait")
        request.handle = nil
    }

    public func rawAllgatherv(send: UnsafeRawPointer?, count: Int, recv: UnsafeMutableRawPointer?,
                              recvCounts: UnsafePointer<Int32>, recvDispls: UnsafePointer<Int32>, kind: ScalarKind) {
        let t = Self.datatype(kind)
        check(MPI_Allgatherv(send, Int32(count), t, recv, recvCounts, recvDispls, t, comm), "MPI_Allgatherv")
    }

    public func rawSend(_ buffer: UnsafeRawPointer?, count: Int, kind: ScalarKind, to dest: Int, tag: Int) {
        check(MPI_Send(buffer, Int32(count), Self.datatype(kind), Int32(dest), Int32(tag), comm), "MPI_Send")
    }

    public func rawReceive(_ buffer: UnsafeMutableRawPointer?, count: Int, kind: ScalarKind, from source: Int, tag: Int) {
        check(MPI_Recv(buffer, Int32(count), Self.datatype(kind), Int32(source), Int32(tag), comm,
                       strata_mpi_status_ignore()), "MPI_Recv")
    }

    public func rawProbe(from source: Int?, tag: Int, kind: ScalarKind) -> (source: Int, count: Int) {
        var status = MPI_Status()
        check(MPI_Probe(Int32(source ?? Int(strata_mpi_any_source())), Int32(tag), comm, &status), "MPI_Probe")
        var count: Int32 = 0
        check(MPI_Get_count(&status, Self.datatype(kind), &count), "MPI_Get_count")
        return (Int(status.MPI_SOURCE), Int(count))
    }

    /// MPI_Iprobe polled every millisecond until `seconds` have passed.
    public func rawProbe(from source: Int?, tag: Int, kind: ScalarKind, waitingAtMost seconds: Double) -> (source: Int, count: Int)? {
        let deadline = Date(timeIntervalSinceNow: seconds)
        var status = MPI_Status()
        var flag: Int32 = 0
        repeat {
            check(MPI_Iprobe(Int32(source ?? Int(strata_mpi_any_source())), Int32(tag), comm, &flag, &status), "MPI_Iprobe")
            if flag != 0 {
                var count: Int32 = 0
                check(MPI_Get_count(&status, Self.datatype(kind), &count), "MPI_Get_count")
                return (Int(status.MPI_SOURCE), Int(count))
            }
            usleep(1_000)
        } while Date() < deadline
        return nil
    }

    public func split(color: Int, key: Int) -> Communicator? {
        var newComm: MPI_Comm? = strata_mpi_comm_null()
        let c = color < 0 ? strata_mpi_undefined() : Int32(color)
        check(MPI_Comm_split(comm, c, Int32(key), &newComm), "MPI_Comm_split")
        // Every rank learns the world ranks of its new group from an allgather
        // on the parent, so the ledger keeps counting by world rank.
        let mine = color < 0 ? -1 : color
        let colors = allgather(.control, Int64(mine))
        let keys = allgather(.control, Int64(key))
        guard color >= 0, let newComm else { return nil }
        let members = (0..<size).filter { colors[$0] == Int64(color) }
            .sorted { (keys[$0], $0) < (keys[$1], $1) }
        return MPICommunicator(comm: newComm, worldRanks: members.map { worldRanks[$0] }, ledger: ledger, topology: nil)
    }

    /// Ranks are processes: they meet in a file of the run folder
    /// (`FileProgressBoard`), which rank 0 creates before any rank opens it.
    /// The board is read and written by the watchdog's threads without MPI,
    /// which stays single-threaded.
    public func makeProgressBoard(directory: String?) throws -> ProgressBoard {
        guard let directory else { throw InputError("run.step_timeout_seconds needs a run folder (the ranks' progress board lives there)") }
        let path = (directory as NSString).appendingPathComponent("progress.bin")
        var refusal: [UInt8] = []
        if rank == 0 {
            // A command whose run folder is written later (strata fl's) has none yet.
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            do { try FileProgressBoard.create(path: path, size: size) } catch { refusal = Array("\(error)".utf8) }
        }
        // Every rank hears whether the file exists before opening it.
        let why = broadcast(.control, bytes: refusal, root: 0)
        if !why.isEmpty { throw InputError(String(decoding: why, as: UTF8.self)) }
        return try FileProgressBoard(path: path, rank: rank, size: size)
    }

    public func abort(code: Int32) -> Never {
        MPI_Abort(strata_mpi_comm_world(), code)
        exit(code)
    }
}
