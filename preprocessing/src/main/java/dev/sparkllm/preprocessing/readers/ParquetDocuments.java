package dev.sparkllm.preprocessing.readers;

import java.io.IOException;
import java.util.Iterator;
import java.util.NoSuchElementException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;

/**
 * The rows of one Parquet file, pulled one at a time: {@link ParquetReader} holds one row group's
 * pages, so a file of any size is read in the memory of its largest row group (the whole file used
 * to be collected into a list first).
 */
final class ParquetDocuments implements Iterator<RawDoc> {
  private final FileDocumentReader settings;
  private final InputFile file;
  private final Configuration conf;
  private ParquetReader<Group> reader;
  private RawDoc next;
  private boolean done;
  private long row;

  ParquetDocuments(FileDocumentReader settings, InputFile file, Configuration conf) {
    this.settings = settings;
    this.file = file;
    this.conf = conf;
  }

  @Override
  public boolean hasNext() {
    if (next == null && !done) {
      next = pull();
    }
    return next != null;
  }

  @Override
  public RawDoc next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    RawDoc d = next;
    next = null;
    return d;
  }

  /** Rows read so far. */
  long rows() {
    return row;
  }

  private RawDoc pull() {
    try {
      if (reader == null) {
        reader =
            ParquetReader.builder(new GroupReadSupport(), new Path(file.path))
                .withConf(conf)
                .build();
      }
      Group g = reader.read();
      if (g == null) {
        return finish(row == 0 ? bad("empty_file", "no rows") : null);
      }
      if (row == 0) {
        String problem = checkSchema(g.getType());
        if (problem != null) {
          return finish(bad("bad_schema", problem));
        }
      }
      return toDoc(g, row++);
    } catch (IOException | RuntimeException e) {
      return finish(bad("corrupt_parquet", "after " + row + " rows: " + e));
    }
  }

  private RawDoc toDoc(Group g, long ordinal) {
    String idColumn = settings.parquetIdColumn;
    String textColumn = settings.parquetTextColumn;
    String id = null;
    if (idColumn != null && g.getFieldRepetitionCount(idColumn) > 0) {
      id = g.getValueToString(g.getType().getFieldIndex(idColumn), 0);
    }
    if (id == null) {
      id = FileDocumentReader.derivedId(file.relative, ordinal);
    }
    if (g.getFieldRepetitionCount(textColumn) == 0) {
      return RawDoc.bad(id, file.path, "missing_text_field", "null " + textColumn);
    }
    return settings.checkLength(id, file.path, g.getString(textColumn, 0));
  }

  private RawDoc bad(String reason, String detail) {
    return RawDoc.bad(FileDocumentReader.derivedId(file.relative, -1), file.path, reason, detail);
  }

  private RawDoc finish(RawDoc last) {
    done = true;
    if (reader != null) {
      try {
        reader.close();
      } catch (IOException ignored) {
        // Reading is over; a close failure loses nothing.
      }
    }
    return last;
  }

  private String checkSchema(GroupType schema) {
    String textColumn = settings.parquetTextColumn;
    String idColumn = settings.parquetIdColumn;
    if (!schema.containsField(textColumn)) {
      return "no column '" + textColumn + "' (set preprocess.reader.parquet_text_column)";
    }
    Type t = schema.getType(textColumn);
    if (!t.isPrimitive()
        || t.asPrimitiveType().getPrimitiveTypeName() != PrimitiveType.PrimitiveTypeName.BINARY) {
      return "column '" + textColumn + "' is " + t + ", not a string";
    }
    if (idColumn != null && !schema.containsField(idColumn)) {
      return "no column '" + idColumn + "' (set preprocess.reader.parquet_id_column)";
    }
    return null;
  }
}
