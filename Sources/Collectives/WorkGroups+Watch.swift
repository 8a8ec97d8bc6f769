extension WorkGroups {
    /// The coordinator watched by its workers, when items have a `limit`: the
    /// limit (`dispatch`) bounds a worker's item, but a coordinator that stops
    /// leaves every worker waiting for its next item forever. Every rank beats
    /// on a progress board in `directory`; a worker that sees rank 0 silent
    /// for the limit's seconds ends the job, exit 3, with one line
    /// ("strata: rank 1: rank(s) 0 stopped responding (...); the watchdog
    /// (KEY) ends the job"; the other workers give that rank two limits' time
    /// to speak first). Collective; nil on every rank without a limit.
    public func watchCoordinator(_ limit: WorkOverdue.Limit?, directory: String) throws -> StepWatchdog? {
        guard let limit, world.size > 1 else { return nil }
        return try StepWatchdog.ending(job: world, timeout: limit.seconds, directory: directory,
                                       unit: WatchUnit(noun: limit.noun, key: limit.key), at: WatchPoint(step: 0), silenceOnly: [0])
    }
}
