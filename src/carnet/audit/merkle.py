"""The Merkle tree of the transparency log: RFC 9162 hashing, proofs, and their append-only storage.

**No Django import** (only ``hashlib``): the server, the offline verifier (``verify.py``) and the
reference witness (``witness.py``) share this module, so they can never disagree on the format.

Hashing (RFC 9162 §2.1.1)::

    leaf hash  = SHA-256(0x00 ‖ leaf bytes)
    node hash  = SHA-256(0x01 ‖ left ‖ right)
    MTH({})    = SHA-256("")
    MTH(D[n])  = node(MTH(D[0:k]), MTH(D[k:n]))   with k the largest power of two < n

Proofs are exactly RFC 9162's ``PATH`` (inclusion, §2.1.3.1) and ``PROOF`` (consistency, §2.1.4.1), and
are checked with the verification algorithms of §2.1.3.2 and §2.1.4.2.

Storage ("stored hash index" layout of Go's ``golang.org/x/mod/sumdb/tlog``): every complete subtree —
a leaf (level 0) or an aligned block of ``2**level`` leaves — has one hash, written once, at the index
``stored_hash_index(level, n)``. Appending leaf ``n`` writes its leaf hash and the hash of every subtree
that leaf completes, all at increasing indexes just after the previous ones, and needs to read only the
``O(log n)`` roots of the complete subtrees on the tree's right edge. The tree hash of any size, and
every inclusion or consistency proof, is then folded from ``O(log n)`` stored hashes: nothing is ever
rewritten, which is what lets the database refuse every ``UPDATE`` and ``DELETE`` on the table.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()  # MTH of the empty tree (RFC 9162 §2.1.1)

#: Reads stored hashes by storage index (in the order asked); raises ``KeyError`` for a missing one.
HashReader = Callable[[Sequence[int]], list[bytes]]


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


# --------------------------------------------------------------------------------------------------
# The stored hash index (tlog layout)
# --------------------------------------------------------------------------------------------------


def stored_hash_index(level: int, n: int) -> int:
    """Storage index of the ``n``-th hash of ``level`` (level 0 = leaves)."""
    for _ in range(level):  # level L's n-th hash is written right after level L+1's 2n+1-th
        n = 2 * n + 1
    index = 0
    while n > 0:  # level 0's n-th hash is written at n + n/2 + n/4 + ...
        index += n
        n >>= 1
    return index + level


def stored_hash_count(size: int) -> int:
    """How many hashes a tree of ``size`` leaves has stored."""
    if size == 0:
        return 0
    count = stored_hash_index(0, size - 1) + 1
    i = size - 1
    while i & 1:  # the subtrees completed by the last leaf
        count += 1
        i >>= 1
    return count


def _trailing_ones(n: int) -> int:
    count = 0
    while n & 1:
        count += 1
        n >>= 1
    return count


def stored_hashes_for_leaf(n: int, leaf: bytes, read: HashReader) -> list[bytes]:
    """The hashes to store when appending leaf ``n`` (0-based) of hash ``leaf``, in storage order.

    They go at ``stored_hash_index(0, n)`` and the following indexes: the leaf hash, then one hash per
    subtree the leaf completes (one per trailing 1 bit of ``n``), each reading the root of the complete
    subtree on its left.
    """
    levels = _trailing_ones(n)
    siblings = read([stored_hash_index(level, (n >> level) - 1) for level in range(levels)])
    hashes = [leaf]
    current = leaf
    for sibling in siblings:
        current = node_hash(sibling, current)
        hashes.append(current)
    return hashes


def _largest_power_of_two_below(n: int) -> int:
    """``k``: the largest power of two strictly smaller than ``n`` (n ≥ 2)."""
    k = 1
    while k << 1 < n:
        k <<= 1
    return k


def _blocks(lo: int, hi: int) -> list[tuple[int, int]]:
    """Leaves ``[lo, hi)`` as maximal aligned complete subtrees ``(level, n)``, left to right."""
    blocks: list[tuple[int, int]] = []
    while lo < hi:
        size = hi - lo
        k = 1 if size == 1 else _largest_power_of_two_below(size + 1)
        level = k.bit_length() - 1
        if lo & (k - 1):  # every range a proof or a tree hash asks for is aligned this way
            raise ValueError(f"unaligned subtree [{lo}, {hi})")
        blocks.append((level, lo >> level))
        lo += k
    return blocks


def subtree_indexes(lo: int, hi: int) -> list[int]:
    """The storage indexes whose hashes fold into ``MTH(D[lo:hi])``."""
    return [stored_hash_index(level, n) for level, n in _blocks(lo, hi)]


def fold(hashes: Sequence[bytes]) -> bytes:
    """``MTH`` of a range from its maximal complete subtrees, left to right (RFC 9162's recursion)."""
    current = hashes[-1]
    for left in reversed(hashes[:-1]):
        current = node_hash(left, current)
    return current


def tree_hash(size: int, read: HashReader) -> bytes:
    """The root hash of the first ``size`` leaves, from ``O(log size)`` stored hashes."""
    if size == 0:
        return EMPTY_ROOT
    return fold(read(subtree_indexes(0, size)))


# --------------------------------------------------------------------------------------------------
# Proofs (RFC 9162 §2.1.3.1 PATH and §2.1.4.1 PROOF), as ranges of leaves, then as hashes
# --------------------------------------------------------------------------------------------------

Range = tuple[int, int]


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """``PATH(index, D[size])`` as the leaf ranges whose ``MTH`` form the proof (leaf level first)."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of size {size}")
    ranges: list[Range] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _largest_power_of_two_below(hi - lo)
        if index < lo + k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
    ranges.reverse()
    return ranges


def consistency_ranges(old_size: int, size: int) -> list[Range]:
    """``PROOF(old_size, D[size])`` (``SUBPROOF(m, D[n], true)``) as leaf ranges, in proof order."""
    if not 0 < old_size <= size:
        raise ValueError(f"no consistency proof from size {old_size} to {size}")
    ranges: list[Range] = []
    lo, hi, m, complete = 0, size, old_size, True
    while m != hi - lo:
        k = _largest_power_of_two_below(hi - lo)
        if m <= k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
            m -= k
            complete = False
    if not complete:
        ranges.append((lo, hi))
    ranges.reverse()
    return ranges


def resolve(ranges_list: Iterable[Sequence[Range]], read: HashReader) -> list[list[bytes]]:
    """The hashes of several proofs at once: every stored hash they need is read in ONE ``read``."""
    materialised = [list(ranges) for ranges in ranges_list]
    needed: dict[int, None] = {}
    for ranges in materialised:
        for lo, hi in ranges:
            needed.update(dict.fromkeys(subtree_indexes(lo, hi)))
    order = list(needed)
    known = dict(zip(order, read(order), strict=True))
    return [
        [fold([known[i] for i in subtree_indexes(lo, hi)]) for lo, hi in ranges] for ranges in materialised
    ]


def inclusion_proof(index: int, size: int, read: HashReader) -> list[bytes]:
    return resolve([inclusion_ranges(index, size)], read)[0]


def consistency_proof(old_size: int, size: int, read: HashReader) -> list[bytes]:
    return resolve([consistency_ranges(old_size, size)], read)[0]


# --------------------------------------------------------------------------------------------------
# Verification (RFC 9162 §2.1.3.2 and §2.1.4.2), word for word
# --------------------------------------------------------------------------------------------------


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> bool:
    if not 0 <= index < size:
        return False
    fn, sn = index, size - 1
    r = leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    old_size: int, size: int, old_root: bytes, root: bytes, proof: Sequence[bytes]
) -> bool:
    if old_size == size:
        return not proof and old_root == root
    if not 0 < old_size < size or not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # an exact power of two: the old root is part of the new tree
        path.insert(0, old_root)
    fn, sn = old_size - 1, size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == root and sn == 0


# --------------------------------------------------------------------------------------------------
# Streaming rebuild (the server's full check): a compact range over the leaves, in order
# --------------------------------------------------------------------------------------------------


class CompactRange:
    """The roots of the complete subtrees on the right edge of a tree being rebuilt leaf by leaf.

    ``append(leaf)`` returns the hashes that leaf adds to storage (same as ``stored_hashes_for_leaf``),
    so a rebuild can compare every stored hash as it goes, in ``O(log n)`` memory.
    """

    def __init__(self) -> None:
        self.size = 0
        self._stack: list[bytes] = []

    def append(self, leaf: bytes) -> list[bytes]:
        added = [leaf]
        current = leaf
        n = self.size
        while n & 1:
            current = node_hash(self._stack.pop(), current)
            added.append(current)
            n >>= 1
        self._stack.append(current)
        self.size += 1
        return added

    def root(self) -> bytes:
        return fold(self._stack) if self._stack else EMPTY_ROOT
