import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.KeyValue;
import de.bwaldvogel.mongo.backend.Missing;
import de.bwaldvogel.mongo.backend.Utils;
import de.bwaldvogel.mongo.backend.ValueComparator;
import de.bwaldvogel.mongo.bson.BsonRegularExpression;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.bson.ObjectId;
import de.bwaldvogel.mongo.exception.DuplicateKeyError;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * A secondary index kept in memory, sorted by its keys then by the document's position (its _id):
 * non-unique or unique, compound, multikey (an array field gives one entry per element, an empty
 * array one entry with null). It is rebuilt from the collection when the server opens the database
 * (AbstractMongoCollection.addIndex fills an empty index), so it never disagrees with the data file.
 *
 * It serves equality and $in on a prefix of its keys, optionally followed by a range ($gt, $gte,
 * $lt, $lte) on the next key. The candidates it returns are a superset of the matches: the
 * collection re-filters every one with the full query. Thread safety: writes happen under the
 * collection's lock; the entry set is a concurrent skip list, so count() outside the lock is fine.
 */
final class SortedIndex extends Index<Object> {
  /** Above this many $in combinations the index uses a shorter prefix. */
  private static final int MAX_COMBINATIONS = 10_000;

  private static final Comparator<Object> UPSTREAM_ORDER = ValueComparator.ascWithoutListHandling();

  /**
   * MongoDB's order of values (upstream's ValueComparator), with a fast path for two values of the
   * same common type. Upstream finds each value's type rank by walking a list of classes with
   * isAssignableFrom, twice per comparison: with millions of entries that was most of an insert's
   * CPU time (profiled: 63 % of the server's samples during a bulk insert), all of it under the
   * collection's write lock. The fast path gives the same answer as upstream for these types (same
   * rank, then the same comparison); everything else (numbers, null, mixed types) goes to upstream.
   */
  static final Comparator<Object> VALUES = (a, b) -> {
    if (a == b) return 0;
    if (a != null && b != null) {
      Class<?> type = a.getClass();
      if (type == b.getClass()) {
        if (type == ObjectId.class) return Arrays.compareUnsigned(((ObjectId) a).toByteArray(), ((ObjectId) b).toByteArray());
        if (type == String.class) return ((String) a).compareTo((String) b);
        if (type == Instant.class) return ((Instant) a).compareTo((Instant) b);
        if (type == Boolean.class) return Boolean.compare((Boolean) a, (Boolean) b);
      }
    }
    return UPSTREAM_ORDER.compare(a, b);
  };

  /** One entry: the key values of one document (one element per array), and its position. */
  static final class Entry {
    final Object[] values;
    final Object position;
    /** 0 for a stored entry; -1 / +1 for a probe before / after every entry sharing its prefix. */
    final int bound;

    Entry(Object[] values, Object position, int bound) {
      this.values = values;
      this.position = position;
      this.bound = bound;
    }
  }

  private static final Comparator<Entry> ORDER = (a, b) -> {
    int n = Math.min(a.values.length, b.values.length);
    for (int i = 0; i < n; i++) {
      int c = VALUES.compare(a.values[i], b.values[i]);
      if (c != 0) return c;
    }
    if (a.bound != 0 || b.bound != 0) return Integer.compare(a.bound, b.bound);
    return VALUES.compare(a.position, b.position);
  };

  private final boolean unique;
  /** The _id index: it gives each document's position (its _id, the H2 data map's key). */
  final boolean primary;
  private final String idField;
  private final ConcurrentSkipListSet<Entry> entries = new ConcurrentSkipListSet<>(ORDER);
  private final AtomicLong size = new AtomicLong();
  /** Queries this index answered (for tests and the disparoIndexStats command). */
  final AtomicLong lookups = new AtomicLong();

  SortedIndex(String name, List<IndexKey> keys, boolean sparse, boolean unique, String idField) {
    super(name, keys, sparse);
    this.unique = unique;
    this.primary = keys.size() == 1 && keys.get(0).getKey().equals(idField);
    this.idField = idField;
  }

  @Override
  public boolean isUnique() {
    return unique;
  }

  @Override
  public boolean hasSameOptions(Index<?> other) {
    return super.hasSameOptions(other) && other.isUnique() == unique;
  }

  // ---- keys of a document ----

  static Object normalize(Object value) {
    if (value == null || value instanceof Missing) return null;
    if (value instanceof Long && (long) ((Long) value).doubleValue() != (Long) value) return value;
    if (value instanceof Number) {
      double d = ((Number) value).doubleValue();
      return d == -0.0 ? 0.0 : d;
    }
    if (value instanceof Map) {
      Document result = new Document();
      for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) result.put((String) e.getKey(), normalize(e.getValue()));
      return result;
    }
    if (value instanceof Collection) {
      List<Object> list = new ArrayList<>();
      for (Object element : (Collection<?>) value) list.add(normalize(element));
      return list;
    }
    return value;
  }

  /** The key tuples of a document: the product of each key's values (arrays expanded). */
  List<Object[]> tuples(Document document) {
    List<String> keys = keys();
    List<Object[]> result = new ArrayList<>();
    result.add(new Object[keys.size()]);
    for (int k = 0; k < keys.size(); k++) {
      Object value = valueOf(document, keys.get(k));
      Collection<Object> values;
      if (value instanceof Collection && !((Collection<?>) value).isEmpty()) {
        values = new TreeSet<>(VALUES);
        for (Object element : (Collection<?>) value) values.add(normalize(element));
      } else {
        values = new ArrayList<>(1);
        values.add(value instanceof Collection ? null : normalize(value));
      }
      List<Object[]> next = new ArrayList<>(result.size() * values.size());
      for (Object[] tuple : result) {
        for (Object v : values) {
          Object[] copy = tuple.clone();
          copy[k] = v;
          next.add(copy);
        }
      }
      result = next;
    }
    return result;
  }

  /**
   * A key's value in a document. A top-level key is read directly: upstream splits every path with
   * a regular expression into a new list first, for every key of every index on every write.
   */
  static Object valueOf(Document document, String key) {
    return key.indexOf('.') < 0 && !key.isEmpty() && !key.equals("$") ? document.getOrMissing(key)
        : Utils.getSubdocumentValueCollectionAware(document, key);
  }

  private boolean hasNoValueForKeys(Document document) {
    for (String key : keys()) {
      if (!(valueOf(document, key) instanceof Missing)) return false;
    }
    return true;
  }

  private Object positionOf(Document document) {
    return document.get(idField);
  }

  // ---- Index<Object> ----

  @Override
  public Object getPosition(Document document) {
    return primary ? positionOf(document) : null; // the _id index gives positions; the others only narrow queries
  }

  private void checkUnique(Document document, Object ownPosition, MongoCollection<Object> collection) {
    if (!unique || (isSparse() && hasNoValueForKeys(document))) return;
    for (Object[] tuple : tuples(document)) {
      for (Entry e : entries.subSet(new Entry(tuple, null, -1), new Entry(tuple, null, 1))) {
        if (ownPosition == null || VALUES.compare(e.position, ownPosition) != 0) {
          throw new DuplicateKeyError(this, collection, getKeys(), new KeyValue(tuple));
        }
      }
    }
  }

  @Override
  public void checkAdd(Document document, MongoCollection<Object> collection) {
    checkUnique(document, null, collection);
  }

  @Override
  public void add(Document document, Object position, MongoCollection<Object> collection) {
    checkUnique(document, null, collection);
    if (isSparse() && hasNoValueForKeys(document)) return;
    for (Object[] tuple : tuples(document)) {
      if (entries.add(new Entry(tuple, position, 0))) size.incrementAndGet();
    }
  }

  @Override
  public Object remove(Document document) {
    Object position = positionOf(document);
    for (Object[] tuple : tuples(document)) {
      if (entries.remove(new Entry(tuple, position, 0))) size.decrementAndGet();
    }
    return isSparse() && hasNoValueForKeys(document) ? null : position;
  }

  @Override
  public void checkUpdate(Document oldDocument, Document newDocument, MongoCollection<Object> collection) {
    if (nullAwareEqualsKeys(oldDocument, newDocument)) return;
    checkUnique(newDocument, positionOf(oldDocument), collection);
  }

  @Override
  public void updateInPlace(Document oldDocument, Document newDocument, Object position, MongoCollection<Object> collection) {
    if (nullAwareEqualsKeys(oldDocument, newDocument)) return;
    for (Object[] tuple : tuples(oldDocument)) {
      if (entries.remove(new Entry(tuple, position, 0))) size.decrementAndGet();
    }
    add(newDocument, position, collection);
  }

  @Override
  public long getCount() {
    return size.get();
  }

  @Override
  public long getDataSize() {
    return size.get();
  }

  @Override
  public void drop() {
    entries.clear();
    size.set(0);
  }

  // ---- queries ----

  /** What this index can do for a query: equality/$in values on a prefix, then a range. */
  static final class Plan {
    final List<List<Object>> prefix = new ArrayList<>();
    Object low;
    Object high;
    boolean range;

    /** Larger is more selective: two points per equality key, one for a range. */
    int score() {
      return prefix.size() * 2 + (range ? 1 : 0);
    }
  }

  private static boolean indexable(Object value) {
    return value != null
        && !(value instanceof Missing)
        && !(value instanceof Collection)
        && !(value instanceof Map)
        && !(value instanceof Pattern)
        && !BsonRegularExpression.isRegularExpression(value);
  }

  /** The constraint a query puts on one field, looking into a top-level $and too. */
  private static Object constraint(Document query, String key) {
    if (query.containsKey(key)) return query.get(key);
    Object and = query.get("$and");
    if (and instanceof List) {
      for (Object part : (List<?>) and) {
        if (part instanceof Document && ((Document) part).containsKey(key)) return ((Document) part).get(key);
      }
    }
    return null;
  }

  Plan plan(Document query) {
    Plan plan = new Plan();
    long combinations = 1;
    for (String key : keys()) {
      Object c = constraint(query, key);
      if (c == null) break;
      List<Object> values = null;
      if (c instanceof Document && !((Document) c).isEmpty() && ((Document) c).keySet().iterator().next().startsWith("$")) {
        Document ops = (Document) c;
        if (ops.containsKey("$eq") && indexable(ops.get("$eq"))) {
          values = List.of(normalize(ops.get("$eq")));
        } else if (ops.get("$in") instanceof Collection) {
          Set<Object> in = new TreeSet<>(VALUES);
          for (Object v : (Collection<?>) ops.get("$in")) {
            if (!indexable(v)) {
              in = null;
              break;
            }
            in.add(normalize(v));
          }
          if (in != null) values = new ArrayList<>(in);
        }
        if (values == null) {
          Object low = ops.containsKey("$gt") ? ops.get("$gt") : ops.get("$gte");
          Object high = ops.containsKey("$lt") ? ops.get("$lt") : ops.get("$lte");
          boolean hasLow = indexable(low);
          boolean hasHigh = indexable(high);
          if (hasLow || hasHigh) {
            plan.range = true;
            plan.low = hasLow ? normalize(low) : null;
            plan.high = hasHigh ? normalize(high) : null;
          }
          break;
        }
      } else if (indexable(c)) {
        values = List.of(normalize(c));
      } else {
        break;
      }
      if (values.isEmpty()) {
        plan.prefix.add(values);
        break;
      }
      if (combinations * values.size() > MAX_COMBINATIONS) break;
      combinations *= values.size();
      plan.prefix.add(values);
    }
    return plan.score() == 0 ? null : plan;
  }

  @Override
  public boolean canHandle(Document query) {
    return plan(query) != null;
  }

  @Override
  public Iterable<Object> getPositions(Document query) {
    Plan plan = plan(query);
    lookups.incrementAndGet();
    Set<Object> positions = new LinkedHashSet<>();
    List<Object[]> prefixes = new ArrayList<>();
    prefixes.add(new Object[0]);
    for (List<Object> values : plan.prefix) {
      List<Object[]> next = new ArrayList<>();
      for (Object[] p : prefixes) {
        for (Object v : values) {
          Object[] q = Arrays.copyOf(p, p.length + 1);
          q[p.length] = v;
          next.add(q);
        }
      }
      prefixes = next;
    }
    for (Object[] p : prefixes) {
      Entry from = new Entry(p, null, -1);
      Entry to = new Entry(p, null, 1);
      if (plan.range) {
        if (plan.low != null) from = new Entry(append(p, plan.low), null, -1);
        if (plan.high != null) to = new Entry(append(p, plan.high), null, 1);
      }
      if (ORDER.compare(from, to) > 0) continue;
      for (Entry e : entries.subSet(from, true, to, true)) positions.add(e.position);
    }
    return positions;
  }

  private static Object[] append(Object[] prefix, Object value) {
    Object[] q = Arrays.copyOf(prefix, prefix.length + 1);
    q[prefix.length] = value;
    return q;
  }
}
