import CMPI
import Collectives
import Foundation

/// MPI's lifetime. The CLI's `main` calls `start` once and `finish` once; no
/// other code initialises MPI (see docs/DESIGN.md).
public enum MPIEnvironment {
    /// Initialises MPI (single-threaded) and returns the world communicator.
    /// The topology is the real one (ranks sharing memory form a node) unless
    /// `ranksPerNode` asks for an emulated one.
    public static func start(ranksPerNode: Int? = nil,
                             intraNodeBandwidth: Double = Topology.defaultIntraNodeBandwidth,
                             interNodeBandwidth: Double = Topology.defaultInterNodeBandwidth) throws -> MPICommunicator {
        var initialized: Int32 = 0
        MPI_Initialized(&initialized)
        if initialized == 0 {
            var provided: Int32 = 0
            MPI_Init_thread(nil, nil, strata_mpi_thread_single(), &provided)
        }
        let world = strata_mpi_comm_world()!
        var r: Int32 = 0, s: Int32 = 0
        MPI_Comm_rank(world, &r)
        MPI_Comm_size(world, &s)
        let topology: Topology
        if let l = ranksPerNode {
            topology = try Topology.emulated(worldSize: Int(s), ranksPerNode: l,
                                             intraNodeBandwidth: intraNodeBandwidth, interNodeBandwidth: interNodeBandwidth)
        } else {
            topology = Topology(nodeOfRank: realNodes(world: world, rank: r, size: s),
                                intraNodeBandwidth: intraNodeBandwidth, interNodeBandwidth: interNodeBandwidth)
        }
        return MPICommunicator(comm: world, worldRanks: nil, ledger: nil, topology: topology)
    }

    /// A node is the set of ranks that share memory; its label is its lowest
    /// world rank, gathered so every rank agrees.
    static func realNodes(world: MPI_Comm, rank: Int32, size: Int32) -> [Int] {
        var shared: MPI_Comm? = strata_mpi_comm_null()
        MPI_Comm_split_type(world, strata_mpi_comm_type_shared(), rank, strata_mpi_info_null(), &shared)
        var leader = rank
        var lowest: Int32 = 0
        MPI_Allreduce(&leader, &lowest, 1, strata_mpi_int32(), strata_mpi_min(), shared)
        MPI_Comm_free(&shared)
        var labels = [Int32](repeating: 0, count: Int(size))
        labels.withUnsafeMutableBufferPointer { out in
            _ = MPI_Allgather(&lowest, 1, strata_mpi_int32(), out.baseAddress, 1, strata_mpi_int32(), world)
        }
        return labels.map { Int($0) }
    }

    public static func finish() {
        var finalized: Int32 = 0
        MPI_Finalized(&finalized)
        if finalized == 0 { MPI_Finalize() }
    }

    /// Ends every rank of the job at once (a rank that failed alone must not
    /// leave the others waiting in a collective).
    public static func abortWorld(code: Int32) -> Never {
        MPI_Abort(strata_mpi_comm_world(), code)
        exit(code)
    }
}

extension MPIEnvironment {
    /// Runs `body` inside MPI, the shape every `strata` subcommand uses.
    /// An `InputError` ends every rank with status 2 and one line from rank 0;
    /// any other error names the rank and aborts the whole job, so no rank is
    /// left waiting in a collective for a peer that is gone.
    public static func run(ranksPerNode: Int?, launchedRank: Int,
                           intraNodeBandwidth: Double = Topology.defaultIntraNodeBandwidth,
                           interNodeBandwidth: Double = Topology.defaultInterNodeBandwidth,
                           _ body: (MPICommunicator) throws -> Void) -> Never {
        let world: MPICommunicator
        do {
            world = try start(ranksPerNode: ranksPerNode, intraNodeBandwidth: intraNodeBandwidth,
                              interNodeBandwidth: interNodeBandwidth)
        } catch {
            // Every rank computes the same topology error; report it once.
            if launchedRank == 0 { printError("strata: error: \(error)") }
            finish()
            exit(2)
        }
        // Failing ranks meet on their own communicator, so the barrier below
        // can never match a collective the healthy ranks are waiting in.
        var failures: MPI_Comm? = strata_mpi_comm_null()
        MPI_Comm_dup(world.comm, &failures)
        do {
            try body(world)
        } catch let e as InputError {
            // Bad input every rank met (the same config): one line from rank 0.
            // Met by some ranks alone (a file only they read), the others wait
            // in a collective forever, so each failing rank names itself and
            // ends the job once the ranks have had `inputAgreementSeconds` to join.
            if everyRankJoins(failures, within: inputAgreementSeconds) {
                if world.rank == 0 { printError("strata: error: \(e)") }
                finish()
                exit(2)
            }
            printError("strata: rank \(world.rank): error: \(e)")
            abortWorld(code: 2)
        } catch let e as WorkOverdue {
            // The overdue group may be stopped: only an abort ends it.
            printError("strata: rank \(world.rank): \(e)")
            abortWorld(code: StepTimeout.exitCode)
        } catch let e as Stopped {
            // Every rank agreed on the step and the checkpoint is on disk: a clean end.
            if world.rank == 0 { printError("strata: \(e)") }
            finish()
            exit(e.exitCode)
        } catch {
            printError("strata: rank \(world.rank): error: \(FileSystemError.words(error) ?? "\(error)")")
            abortWorld(code: 1)
        }
        finish()
        exit(0)
    }

    /// How long ranks that met bad input wait for the rest to meet it too.
    static let inputAgreementSeconds = 5.0

    /// Whether every rank of `comm` enters a barrier within `seconds`.
    static func everyRankJoins(_ comm: MPI_Comm?, within seconds: Double) -> Bool {
        var req: MPI_Request? = strata_mpi_request_null()
        guard MPI_Ibarrier(comm, &req) == strata_mpi_success() else { return false }
        let deadline = Date().addingTimeInterval(seconds)
        var done: Int32 = 0
        while Date() < deadline {
            MPI_Test(&req, &done, strata_mpi_status_ignore())
            if done != 0 { return true }
            usleep(1_000)
        }
        return false
    }

    public static func printError(_ line: String) {
        FileHandle.standardError.write((line + "\n").data(using: .utf8)!)
    }
}
