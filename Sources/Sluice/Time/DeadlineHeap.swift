/// A min-heap of deadlines with removal of any entry: the store of ``DeadlineTimer``.
///
/// Entries are ordered by deadline, then by sequence number (so equal deadlines come out in the order
/// they were added). Each entry is a ``Node`` that knows its place in the heap, so `remove(_:)` takes
/// it out at once, in O(log n) and without a lookup table: a cancelled entry holds no memory until
/// its deadline.
///
/// - Important: Not synchronized: the owner (``DeadlineTimer``) touches the heap and its nodes only
///   under its lock.
struct DeadlineHeap {
    /// One entry; its identity is what a caller keeps to remove it.
    final class Node: @unchecked Sendable {
        let deadline: Duration
        let sequence: UInt64
        let work: Work
        /// Where the node is in the heap; `nil` once removed or popped.
        fileprivate(set) var index: Int?

        /// What the node runs when due: a closure, or a target told its tag (which costs no closure
        /// context where the tag would have been captured).
        enum Work {
            case action(DeadlineTimer.Action)
            case target(any DeadlineTarget, tag: Int)
        }

        init(deadline: Duration, sequence: UInt64, work: Work) {
            self.deadline = deadline
            self.sequence = sequence
            self.work = work
        }

        convenience init(deadline: Duration, sequence: UInt64, action: @escaping DeadlineTimer.Action) {
            self.init(deadline: deadline, sequence: sequence, work: .action(action))
        }

        /// Runs the node's action or tells its target.
        func run() {
            switch work {
            case .action(let action): action()
            case .target(let target, let tag): target.deadlinePassed(tag: tag)
            }
        }

        var isInHeap: Bool { index != nil }

        fileprivate func precedes(_ other: Node) -> Bool {
            deadline != other.deadline ? deadline < other.deadline : sequence < other.sequence
        }
    }

    private var nodes: [Node] = []

    var count: Int { nodes.count }
    var isEmpty: Bool { nodes.isEmpty }

    /// The earliest deadline, if any.
    var earliest: Duration? { nodes.first?.deadline }

    /// Adds `node`, which must not be in a heap.
    mutating func insert(_ node: Node) {
        precondition(node.index == nil, "DeadlineHeap: the node is already in a heap")
        node.index = nodes.count
        nodes.append(node)
        siftUp(nodes.count - 1)
    }

    /// Takes `node` out; `false` when it is not in the heap (already removed or popped).
    @discardableResult
    mutating func remove(_ node: Node) -> Bool {
        guard let index = node.index, index < nodes.count, nodes[index] === node else { return false }
        node.index = nil
        let last = nodes.removeLast()
        if index < nodes.count {
            nodes[index] = last
            last.index = index
            // The moved node may belong above or below its new place.
            siftUp(index)
            if let moved = last.index { siftDown(moved) }
        }
        if nodes.isEmpty, nodes.capacity > 1_024 {
            // Give back the storage of a burst once it is over (a small one is kept for the next call).
            nodes = []
        }
        return true
    }

    /// Takes out every node whose deadline is at or before `now`, earliest first.
    mutating func popDue(now: Duration) -> [Node] {
        var due: [Node] = []
        while let first = nodes.first, first.deadline <= now {
            remove(first)
            due.append(first)
        }
        return due
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard nodes[child].precedes(nodes[parent]) else { return }
            swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < nodes.count else { return }
            let right = left + 1
            var smallest = left
            if right < nodes.count, nodes[right].precedes(nodes[left]) { smallest = right }
            guard nodes[smallest].precedes(nodes[parent]) else { return }
            swapAt(parent, smallest)
            parent = smallest
        }
    }

    private mutating func swapAt(_ i: Int, _ j: Int) {
        nodes.swapAt(i, j)
        nodes[i].index = i
        nodes[j].index = j
    }
}
