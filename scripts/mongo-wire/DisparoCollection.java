import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.CursorRegistry;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.QueryResult;
import de.bwaldvogel.mongo.backend.h2.H2Collection;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.exception.IndexBuildFailedException;
import de.bwaldvogel.mongo.exception.MongoServerError;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.h2.mvstore.MVMap;

/**
 * An H2 collection that answers a query from its most selective index instead of the first one
 * that accepts it, and reads the _id index (or any unique index) when the query names its keys
 * among others (a claim `{_id, status}` is a point read, not a scan). Every candidate is still
 * matched against the whole query; every read and write still runs under the collection's lock.
 */
final class DisparoCollection extends H2Collection {
  DisparoCollection(MongoDatabase database, String collectionName, CollectionOptions options,
      MVMap<Object, Document> dataMap, MVMap<String, Object> metaMap, CursorRegistry cursorRegistry) {
    super(database, collectionName, options, dataMap, metaMap, cursorRegistry);
  }

  /**
   * A new (or re-opened, hence empty) SortedIndex is filled in one pass over the documents, under
   * the collection's lock (upstream makes two passes, without the lock); add() checks uniqueness.
   */
  @Override
  public synchronized void addIndex(Index<Object> index) {
    boolean known = getIndexes().stream().anyMatch(i -> i.getName().equals(index.getName()));
    if (!(index instanceof SortedIndex) || known || !index.isEmpty()) {
      super.addIndex(index);
      return;
    }
    try {
      streamAllDocumentsWithPosition().forEach(d -> index.add(d.getDocument(), d.getPosition(), this));
    } catch (MongoServerError e) {
      index.drop();
      throw new IndexBuildFailedException(e, this);
    }
    getIndexes().add(index);
  }

  /** The index that narrows the query most, and the part of the query it reads; null: none. */
  private Object[] choose(Document query) {
    if (query == null || query.isEmpty()) return null;
    Index<Object> best = null;
    Document bestQuery = null;
    int bestScore = 0;
    for (Index<Object> index : getIndexes()) {
      if (index instanceof SortedIndex) {
        SortedIndex sorted = (SortedIndex) index;
        SortedIndex.Plan plan = sorted.plan(query);
        // a point read on _id, or on every key of a unique index, beats any prefix
        int score = plan == null ? 0
            : !plan.range && (sorted.primary || sorted.isUnique() && plan.prefix.size() == sorted.getKeys().size()) ? 1000 + plan.score()
            : plan.score();
        if (score > bestScore) {
          best = index;
          bestQuery = query;
          bestScore = score;
        }
      } else {
        // upstream unique index (_id): it handles a query whose keys are exactly its own
        Document sub = new Document();
        for (IndexKey key : index.getKeys()) {
          if (!query.containsKey(key.getKey())) {
            sub = null;
            break;
          }
          sub.put(key.getKey(), query.get(key.getKey()));
        }
        if (sub != null && index.canHandle(sub) && 1000 > bestScore) {
          best = index;
          bestQuery = sub;
          bestScore = 1000;
        }
      }
    }
    return best == null ? null : new Object[] {best, bestQuery};
  }

  @Override
  protected QueryResult queryDocuments(Document query, Document orderBy, int numberToSkip, int limit, int batchSize,
      Document fieldSelector) {
    Object[] chosen = choose(query);
    if (chosen == null) return matchDocuments(query, orderBy, numberToSkip, limit, batchSize, fieldSelector);
    @SuppressWarnings("unchecked")
    Index<Object> index = (Index<Object>) chosen[0];
    Iterable<Object> positions = index.getPositions((Document) chosen[1]);
    return matchDocumentsFromStream(
        StreamSupport.stream(positions.spliterator(), false).map(this::getDocument).filter(Objects::nonNull),
        query, orderBy, numberToSkip, limit, batchSize, fieldSelector);
  }

  /**
   * For an aggregation that starts with {$match: query}: the documents an index gives as
   * candidates (unfiltered; the pipeline's own $match filters them), read under the lock. Null
   * when no index applies (the pipeline then reads the whole collection, as upstream does).
   */
  synchronized List<Document> candidates(Document match) {
    Object[] chosen = choose(match);
    if (chosen == null) return null;
    @SuppressWarnings("unchecked")
    Index<Object> index = (Index<Object>) chosen[0];
    List<Document> result = new ArrayList<>();
    for (Object position : index.getPositions((Document) chosen[1])) {
      Document document = getDocument(position);
      if (document != null) result.add(document);
    }
    return result;
  }

  /** Per index: entries and lookups served (the disparoIndexStats command). */
  List<Document> indexStats() {
    return getIndexes().stream().map(index -> {
      Document d = new Document("name", index.getName());
      d.put("unique", index.isUnique());
      d.put("entries", index.getCount());
      d.put("lookups", index instanceof SortedIndex ? ((SortedIndex) index).lookups.get() : -1L);
      return d;
    }).collect(Collectors.toList());
  }
}
