extension InteractionFile {
    static let userNames = ["user", "userid", "user_id"]
    static let itemNames = ["item", "itemid", "item_id", "movieid", "movie_id"]

    /// Which column holds what, from line 1.
    struct Layout {
        var header: Bool, width: Int
        var user = 0, item = 1, rating: Int?, split: Int?
        /// MovieLens' ratings.csv: its header, or four headerless fields.
        var isMovieLens: Bool

        init(_ first: Substring, path: String) throws {
            let head = MovieLensRatings.fields(first)
            header = MovieLensFormat.isHeader(first)
            width = head.count
            rating = width > 2 ? 2 : nil
            let names = head.map { $0.lowercased() }
            isMovieLens = header ? names == MovieLensFormat.ratingsColumns.lowercased().split(separator: ",").map(String.init) : width == 4
            guard header else { return }
            func find(_ options: [String], _ what: String) throws -> Int {
                guard let i = names.firstIndex(where: options.contains) else {
                    throw DataError.malformedLine(file: path, line: 1, reason: "no \(what) column (header has \(head.joined(separator: ", ")); "
                                                  + "expected one of \(options.joined(separator: ", ")))")
                }
                return i
            }
            user = try find(InteractionFile.userNames, "user")
            item = try find(InteractionFile.itemNames, "item")
            rating = names.firstIndex(of: "rating")
            split = names.firstIndex(of: "split")
        }
    }
}
