import Collectives
import Data
import Foundation

/// iae's and distill's interactions file: `Data.InteractionFile` (MovieLens'
/// ratings.csv through the one MovieLens reader, or any
/// `user,item[,rating][,split]` file), with the implicit-feedback rule applied
/// and its refusals as input errors (file:line and what is wrong).
public enum InteractionCSV {
    public typealias Part = InteractionFile.Part
    public typealias Row = InteractionFile.Row
    public typealias Table = InteractionFile.Table

    public static func read(path: String, feedback: ImplicitFeedback) throws -> Table {
        var minRating: Double?
        if case .minRating(let t) = feedback { minRating = t }
        do { return try InteractionFile.read(path: path, minRating: minRating) } catch { throw InputError("\(error)") }
    }

    /// Writes binary rows as `user,item` lines with a header, for `strata iae`.
    public static func write(_ rows: SparseRows, userIDs: [String], itemIDs: [String], to path: String) throws {
        var text = "user,item\n"
        for u in 0..<rows.rows {
            for i in rows.row(u) { text += "\(userIDs[u]),\(itemIDs[Int(i)])\n" }
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
}
