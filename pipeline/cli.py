"""``ner-pipeline``: run the pipeline on your own CoNLL files, no code edits."""

import argparse
import json
import logging
import os
import sys
import time
from typing import Any, Dict, List, Optional

from models.config import MAX_SENTENCE_TOKENS, TAG_SCHEMES
from pipeline import options
from pipeline.config import PipelineConfig, existing_metadata

_DEFAULT_OUTPUT = 'runs/demo'
_INFERRED_SCHEMA = 'schema'  # the folder under --output of --infer-schema


def _parser() -> argparse.ArgumentParser:
  p = argparse.ArgumentParser(
      prog='ner-pipeline',
      description='TFX pipeline: CoNLL files in, a gated and pushed Word2Vec '
      'BiLSTM tagger out (local Beam runner, SQLite metadata).')
  sub = p.add_subparsers(dest='command', required=True)
  run = sub.add_parser(
      'run', formatter_class=argparse.ArgumentDefaultsHelpFormatter,
      help='run the whole pipeline locally',
      description='Run ingestion, validation, EmbeddingGen, Transform, '
      'Trainer, Evaluator and Pusher on the local Beam runner. Without '
      '--train/--eval it generates a small synthetic CoNLL sample and runs on '
      'that (the demo).')
  data = run.add_argument_group('data')
  data.add_argument('--train', help='training CoNLL file (token first, NER '
                    'tag last; 2-4 columns; -DOCSTART- and blank lines ok)')
  data.add_argument('--eval', help='evaluation CoNLL file: early stopping and '
                    'the blessing gate use it')
  data.add_argument('--test', help='optional test CoNLL file, ingested as a '
                    'third split')
  data.add_argument('--infer', metavar='PATH',
                    help='a CoNLL file or raw text (one text per line) to tag '
                    'with the blessed model in the run (BulkInferrer, '
                    'through tag_examples)')
  _add_reading_options(data)
  data.add_argument('--schema-dir', default='',
                    help='directory with a schema.pbtxt to validate against '
                    '(default: the curated schema/ of this project)')
  data.add_argument('--infer-schema', action='store_true',
                    help='infer the schema\'s tags from --train with '
                    'SchemaGen into OUTPUT/schema/ (kept: later runs into '
                    'the same --output validate against it), as `ner-pipeline '
                    'schema` does')
  data.add_argument('--max-sentence-tokens', type=int,
                    default=MAX_SENTENCE_TOKENS,
                    help='longer sentences are cut for training, never '
                    'inside an entity that fits, with a warning')
  _add_common_options(run)
  retrain = sub.add_parser(
      'retrain', formatter_class=argparse.ArgumentDefaultsHelpFormatter,
      help='one scheduled-retrain cycle on the newest span(s) of a data root',
      description='Take the newest span (or --window newest spans) under '
      '--data-root, retrain, evaluate against the last blessed model and push '
      'only if the gate passes. Caching is on: an unchanged rerun is cheap.')
  _add_span_options(retrain, schema_dir='')
  _add_common_options(retrain)

  comp = sub.add_parser(
      'compile', formatter_class=argparse.ArgumentDefaultsHelpFormatter,
      help='compile the pipeline for Kubeflow Pipelines v2 / Vertex AI',
      description='Compile the same DAG with KubeflowV2DagRunner into a '
      'pipeline-spec JSON file (both Vertex AI Pipelines and Kubeflow '
      'Pipelines v2 run it). data_root, min_f1 and max_f1_drop become '
      'runtime parameters.')
  c = comp.add_argument_group('target')
  c.add_argument('--target', choices=['vertex', 'kubeflow'], default='vertex')
  c.add_argument('--image', required=True,
                 help='container image with this project (see Dockerfile)')
  c.add_argument('--pipeline-root', required=True,
                 help='gs:// folder for all artifacts')
  c.add_argument('--serving-dir', required=True,
                 help='where Pusher writes <version>/ folders (gs://...)')
  c.add_argument('--pipeline-name', default='ner-word2vec')
  c.add_argument('--output', required=True, help='compiled JSON file')
  _add_span_options(comp, schema_dir='/pipeline/schema')
  _add_common_options(comp, local=False)

  schema = sub.add_parser(
      'schema', formatter_class=argparse.ArgumentDefaultsHelpFormatter,
      help='write a schema for data with entity types of its own',
      description='Run SchemaGen on a training file and write DIR/'
      'schema.pbtxt: the curated schema of this project with the tags found '
      'there. Review it, keep it with your data and pass --schema-dir DIR to '
      'run and retrain.')
  schema.add_argument('--train', required=True, help='training CoNLL file')
  schema.add_argument('--output', required=True, metavar='DIR',
                      help='folder to write schema.pbtxt into')
  _add_reading_options(schema)

  runs = sub.add_parser(
      'runs', formatter_class=argparse.ArgumentDefaultsHelpFormatter,
      help='list the past runs of an --output',
      description='One line per run recorded in OUTPUT/metadata.sqlite, '
      'oldest first: start time, state (finished, failed, killed), data '
      'spans, eval entity F1, blessed or not, the version pushed.')
  runs.add_argument('--output', default=_DEFAULT_OUTPUT,
                    help='the --output of the runs')

  report = sub.add_parser(
      'report', formatter_class=argparse.ArgumentDefaultsHelpFormatter,
      help='rebuild RUN_DIR/report.html',
      description='Rebuild report.html, the page every run writes, for the '
      'newest run in RUN_DIR (an --output) from its metadata store and '
      'artifacts: data per split, embeddings, training curves, per-type '
      'scores and confusion, F1 by kind of word, the blessing decision.')
  report.add_argument('run_dir', metavar='RUN_DIR',
                      help='the --output of a run')

  tag = sub.add_parser(
      'tag', formatter_class=argparse.ArgumentDefaultsHelpFormatter,
      help='tag raw text or a CoNLL file with a pushed model',
      description='Tag text with a pushed model through its signatures, as '
      'a serving client would. Raw text (arguments, --input files or '
      'standard input; each line is one text) goes through tag_text and '
      'comes out as entities with character offsets and confidence, '
      'streamed in bounded memory. With --conll, --input is a CoNLL file: '
      'its tokens go through tag_tokens, the predicted tag is added after '
      'the gold one (the layout conlleval scores) and the entity scores '
      'against the gold tags are printed.')
  tag.add_argument('texts', nargs='*', metavar='TEXT',
                   help='texts to tag (default: --input, else standard '
                   'input)')
  tag.add_argument('--model', required=True,
                   help='serving_model/ of a run (its newest version) or one '
                   '<version>/ folder in it')
  tag.add_argument('--input', action='append', default=[], metavar='FILE',
                   help='file to tag, one text a line (repeatable; - for '
                   'standard input); with --conll, one CoNLL file')
  tag.add_argument('--format', choices=('text', 'jsonl', 'conll'),
                   default='text',
                   help='text: each text, then its entities (type, offsets, '
                   'score, text); jsonl: one JSON object per input line; '
                   'conll: a token and its tag per line')
  tag.add_argument('--conll', action='store_true',
                   help='--input is a CoNLL file with gold tags, to score')
  tag.add_argument('--output', default='-',
                   help='file to write (written whole or not at all); '
                   '- for standard output')
  _add_reading_options(tag)

  serve = sub.add_parser(
      'serve', formatter_class=argparse.ArgumentDefaultsHelpFormatter,
      help='serve pushed models over TF Serving\'s REST API',
      description='Serve the newest version under --model over HTTP with '
      'the TF Serving REST API (predict, status, metadata); newly pushed '
      'versions are picked up without a restart. See README, "Calling the '
      'model".')
  serve.add_argument('--model', required=True,
                     help='serving directory of integer version folders '
                     '(a run\'s serving_model/)')
  serve.add_argument('--model-name', default='ner',
                     help='NAME in /v1/models/NAME')
  serve.add_argument('--host', default='127.0.0.1')
  serve.add_argument('--port', type=int, default=8501)
  serve.add_argument('--max-request-bytes', type=int, default=8 << 20,
                     help='larger requests are refused with 413')
  serve.add_argument('--poll-seconds', type=float, default=2.0,
                     help='how often the serving directory is checked for a '
                     'new version')
  serve.add_argument('--threads', type=int, default=4,
                     help='requests run at once')

  for name, text in (('submit', 'run a compiled pipeline once on Vertex AI'),
                     ('schedule', 'run a compiled pipeline on a schedule')):
    cmd = sub.add_parser(
        name, help=text, description=text + '. --dry-run prints the exact '
        'request instead of sending it.',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    cmd.add_argument('--compiled', required=True,
                     help='file written by `ner-pipeline compile`')
    cmd.add_argument('--project', required=True)
    cmd.add_argument('--region', default='us-central1')
    cmd.add_argument('--pipeline-root', default='',
                     help='override the compiled gs:// pipeline root')
    cmd.add_argument('--service-account', default='',
                     help='service account the pipeline runs as')
    cmd.add_argument('--param', action='append', default=[],
                     metavar='NAME=VALUE',
                     help='runtime parameter, e.g. data_root=gs://b/data or '
                     'min_f1=0.85 (repeatable)')
    cmd.add_argument('--job-id', default='', help='PipelineJob id')
    cmd.add_argument('--dry-run', action='store_true',
                     help='print the request as JSON and send nothing')
    if name == 'schedule':
      cmd.add_argument('--cron', required=True,
                       help='5-field cron, e.g. "0 3 * * 1" (Mondays 03:00)')
      cmd.add_argument('--time-zone', default='',
                       help='IANA time zone of the cron, e.g. Europe/Berlin')
      cmd.add_argument('--max-concurrent-runs', type=int, default=1)
      cmd.add_argument('--display-name', default='')
  return p


def _add_reading_options(group) -> None:
  """How CoNLL files are read (run, retrain, compile, tag)."""
  group.add_argument('--encoding', default='utf-8',
                     help='encoding of the CoNLL files, e.g. latin-1')
  group.add_argument('--tag-scheme', default='auto', choices=TAG_SCHEMES,
                     help='tag scheme of the input; tags are normalised to '
                     'IOB2 (auto tells BIOES from IOB by its E-/S- tags)')


def _add_span_options(parser: argparse.ArgumentParser, schema_dir: str) -> None:
  """Data given as a root with span-N/ folders (retrain, compile)."""
  spans = parser.add_argument_group('data')
  spans.add_argument('--data-root', required=True,
                     help='folder holding span-N/ subfolders (local or gs://)')
  spans.add_argument('--train-pattern', default='span-{SPAN}/train.conll',
                     help='training files, relative to --data-root')
  spans.add_argument('--eval-pattern', default='span-{SPAN}/eval.conll')
  spans.add_argument('--window', type=int, default=1,
                     help='train on the newest N spans together')
  _add_reading_options(spans)
  spans.add_argument(
      '--schema-dir', default=schema_dir,
      help='schema folder; for compile, as the containers see it (the image '
      'holds this project at /pipeline) or a gs:// copy')


def _add_common_options(parser: argparse.ArgumentParser,
                        local: bool = True) -> None:
  """Embedding, model and gate options; output options for local runs."""
  options.add_config_flags(parser)
  o = parser.add_argument_group('output' if local else 'beam')
  if local:
    o.add_argument('--output', default=_DEFAULT_OUTPUT,
                   help='directory for everything the run writes: pipeline '
                   'root, metadata.sqlite, serving_model/<version>/')
    o.add_argument('--cache', action='store_true',
                   help='reuse outputs of unchanged components from earlier '
                   'runs in the same --output')
    o.add_argument('--verbose', action='store_true',
                   help='on a failure, the whole traceback rather than one '
                   'line')
  o.add_argument('--beam-arg', action='append', default=None,
                 metavar='ARG', help='Beam pipeline argument, repeatable '
                 '(replaces the defaults)')


def _is_conll(path: str, encoding: str) -> bool:
  """Whether a file to tag is CoNLL rather than raw text, from its start."""
  import itertools  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from models import conll  # pylint: disable=g-import-not-at-top
  if not tf.io.gfile.exists(path) or tf.io.gfile.isdir(path):
    raise SystemExit(f'ner-pipeline: no such file: {path}')
  with tf.io.gfile.GFile(path, 'rb') as f:
    lines = [line.decode(encoding, 'replace')
             for line in itertools.islice(f, 400)]
  return conll.looks_like_conll(lines)


def config_from_args(args: argparse.Namespace) -> PipelineConfig:
  output = os.path.abspath(args.output)
  config_sections = options.sections(args)
  embedding = config_sections['embedding']
  unlabeled = embedding.unlabeled_paths
  extra: Dict[str, Any] = {}
  if args.command == 'compile':
    output = os.path.abspath('.')
    extra.update(data_root=args.data_root, span_window=args.window,
                 pipeline_root_override=args.pipeline_root,
                 serving_dir_override=args.serving_dir,
                 pipeline_name=args.pipeline_name, enable_cache=True)
    train, eval_, test = args.train_pattern, args.eval_pattern, ''
  elif args.command == 'retrain':
    train, eval_, test = args.train_pattern, args.eval_pattern, ''
    data_root = args.data_root
    if '://' not in data_root:
      data_root = os.path.abspath(data_root)
      if not os.path.isdir(data_root):
        raise SystemExit(f'ner-pipeline: no such directory: {data_root}')
    extra.update(data_root=data_root, span_window=args.window,
                 enable_cache=True)
  else:
    train, eval_, test = args.train, args.eval, args.test
    extra['enable_cache'] = args.cache
    extra['max_sentence_tokens'] = args.max_sentence_tokens
  if args.command == 'run' and not train and not eval_:
    from pipeline import synthetic_data  # pylint: disable=g-import-not-at-top
    paths = synthetic_data.write_demo_data(os.path.join(output, 'data'))
    train, eval_, test = paths['train'], paths['eval'], paths['test']
    unlabeled = unlabeled or [paths['unlabeled']]
  elif args.command == 'run' and not (train and eval_):
    raise SystemExit('ner-pipeline: give both --train and --eval, or neither '
                     'for the synthetic demo')
  if getattr(args, 'infer', None):
    extra.update(infer=args.infer, infer_text=not _is_conll(args.infer,
                                                              args.encoding))
  data_files = (train, eval_, test) if args.command == 'run' else ()
  for path in (*data_files, *embedding.pretrained_paths, *unlabeled):
    if path and '://' not in path and not os.path.exists(path):
      raise SystemExit(f'ner-pipeline: no such file or directory: {path}')
  if args.beam_arg is not None:
    extra['beam_args'] = tuple(args.beam_arg)
  schema_dir = args.schema_dir  # for compile: a path inside the image
  if schema_dir and args.command != 'compile' and '://' not in schema_dir:
    schema_dir = os.path.abspath(schema_dir)
  if args.command == 'run' and not schema_dir and os.path.exists(os.path.join(
      output, _INFERRED_SCHEMA, 'schema.pbtxt')):
    schema_dir = os.path.join(output, _INFERRED_SCHEMA)  # --infer-schema's
  embedding.unlabeled_paths = [u if '://' in u else os.path.abspath(u)
                               for u in unlabeled]
  return PipelineConfig(
      output_dir=output, train=train, eval=eval_, test=test or '',
      encoding=args.encoding, tag_scheme=args.tag_scheme,
      schema_dir=schema_dir, **config_sections, **extra)


_TAG_CHUNK = 2000  # sentences per progress line of the CoNLL mode


def _write(args: argparse.Namespace, chunks) -> None:
  """Writes the chunks to --output as they come: a file is written whole or
  not at all (a .partial file renamed at the end)."""
  from models import atomic  # pylint: disable=g-import-not-at-top
  if args.output == '-':
    for chunk in chunks:
      sys.stdout.write(chunk)
    sys.stdout.flush()
    return
  with atomic.open_for_writing(args.output) as f:
    for chunk in chunks:
      f.write(chunk)
  print(f'ner-pipeline tag: wrote {args.output}', file=sys.stderr)


def _input_lines(args: argparse.Namespace):
  """Texts from the arguments, the --input files or standard input, one
  line at a time, with a progress bar over the files' bytes on a terminal."""
  import codecs  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  import tqdm  # pylint: disable=g-import-not-at-top
  if args.texts:
    yield from args.texts
    return
  files = args.input or ['-']
  total = sum(tf.io.gfile.stat(f).length for f in files if f != '-')
  with tqdm.tqdm(total=total or None, unit='B', unit_scale=True,
                 disable=not sys.stderr.isatty() or not total,
                 desc='ner-pipeline tag') as bar:
    for name in files:
      raw = sys.stdin.buffer if name == '-' else tf.io.gfile.GFile(name, 'rb')
      decode = codecs.getincrementaldecoder(args.encoding)().decode
      for number, line in enumerate(raw, start=1):
        bar.update(len(line))
        try:
          yield decode(line).rstrip('\r\n')
        except UnicodeDecodeError as e:
          raise SystemExit(f'ner-pipeline tag: {name}:{number}: not valid '
                           f'{args.encoding}: {e}') from None


def _tag(args: argparse.Namespace) -> int:
  """Text through the served signatures: raw text through tag_text, or a
  CoNLL file through tag_tokens, to score it exactly as the served model
  will be scored."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from serving import inference, threads, versions  # pylint: disable=g-import-not-at-top
  threads.for_tagging()
  model_dir = versions.model_dir(args.model)
  if not model_dir:
    raise SystemExit(f'ner-pipeline tag: no SavedModel in {args.model} '
                     '(give serving_model/ of a run or a version in it)')
  for path in args.input:
    if path != '-' and not tf.io.gfile.exists(path):
      raise SystemExit(f'ner-pipeline tag: no such file: {path}')
  if not args.conll:
    results = inference.tag_texts(model_dir, _input_lines(args))
    _write(args, (inference.format_result(r, args.format) for r in results))
    return 0
  if len(args.input) != 1 or args.texts:
    raise SystemExit('ner-pipeline tag: --conll takes one --input file')
  return _tag_conll(args, model_dir)


def _tag_conll(args: argparse.Namespace, model_dir: str) -> int:
  from models import conll, entity_metrics  # pylint: disable=g-import-not-at-top
  from serving import inference  # pylint: disable=g-import-not-at-top
  try:
    sentences = list(conll.read_file(args.input[0], args.encoding,
                                     args.tag_scheme))
  except conll.ConllFormatError as e:
    raise SystemExit(f'ner-pipeline tag: {e}') from None
  if not sentences:
    raise SystemExit(f'ner-pipeline tag: no sentences in {args.input[0]}')
  tagger = inference.load_tagger(model_dir)
  started, predicted = time.time(), []
  for start in range(0, len(sentences), _TAG_CHUNK):
    predicted += tagger([s.tokens for s in
                         sentences[start:start + _TAG_CHUNK]])
    print(f'ner-pipeline tag: {len(predicted)}/{len(sentences)} sentences',
          file=sys.stderr, flush=True)
  tokens = sum(len(s.tokens) for s in sentences)
  print(f'ner-pipeline tag: {tokens} tokens in {time.time() - started:.1f} s '
        f'with {model_dir}', file=sys.stderr, flush=True)
  _write(args, [conll.format_sentences(sentences, predicted)])
  print(entity_metrics.format_report(entity_metrics.score(
      [s.tags for s in sentences], predicted)), file=sys.stderr)
  return 0


def _vertex(args: argparse.Namespace) -> int:
  from pipeline import vertex  # pylint: disable=g-import-not-at-top
  try:
    request = vertex.job_request(
        vertex.load_compiled(args.compiled), args.project, args.region,
        pipeline_root=args.pipeline_root,
        service_account=args.service_account,
        parameter_values=vertex.parse_parameters(args.param),
        job_id=args.job_id)
    if args.command == 'schedule':
      request = vertex.schedule_request(
          request, args.cron, display_name=args.display_name,
          time_zone=args.time_zone,
          max_concurrent_runs=args.max_concurrent_runs)
  except ValueError as e:
    raise SystemExit(f'ner-pipeline {args.command}: {e}') from None
  if args.dry_run:
    print(json.dumps(vertex.as_dict(request), indent=2, sort_keys=True))
    return 0
  send = vertex.send_schedule if args.command == 'schedule' else (
      vertex.send_job)
  print(f'ner-pipeline {args.command}: created {send(request).name}')
  return 0


def _one_line(error: BaseException) -> str:
  """An error's message without the tracebacks Beam and TFX fold into
  it."""
  text = str(error).strip() or type(error).__name__
  if 'Traceback (most recent call last)' in text:
    text = [line for line in text.splitlines() if line.strip()][-1].strip()
  return text


def _schema(args: argparse.Namespace) -> int:
  from pipeline import schema_inference  # pylint: disable=g-import-not-at-top
  path = schema_inference.write_schema(args.train, args.output, args.encoding,
                                       args.tag_scheme)
  print(f'ner-pipeline schema: wrote {path}; review it, then pass '
        f'--schema-dir {os.path.dirname(path)}')
  return 0


def _check_data(args: argparse.Namespace, config: PipelineConfig,
                say=print) -> Dict:
  """Before any component: --infer-schema, then every data file parsed
  and its tags checked against the schema. Returns counts per split."""
  from pipeline import data_check, schema_inference  # pylint: disable=g-import-not-at-top
  from pipeline.config import default_schema_dir  # pylint: disable=g-import-not-at-top
  if getattr(args, 'infer_schema', False) and not args.schema_dir:
    config.schema_dir = os.path.join(config.output_dir, _INFERRED_SCHEMA)
    if os.path.exists(os.path.join(config.schema_dir, 'schema.pbtxt')):
      say(f'ner-pipeline: validating against the schema inferred before, '
          f'{config.schema_dir}/schema.pbtxt')
    else:
      say(f'ner-pipeline: inferring the schema from {config.train}')
      schema_inference.write_schema(config.train, config.schema_dir,
                                    config.encoding, config.tag_scheme)
  counts = data_check.check_files(
      {'train': config.train, 'eval': config.eval, 'test': config.test},
      config.encoding, config.tag_scheme,
      config.schema_dir or default_schema_dir(), config.max_sentence_tokens)
  for split, c in counts.items():
    if c['sentences_cut']:
      say(f"ner-pipeline: warning: {split}: {c['sentences_cut']} "
          f'sentence(s) longer than {config.max_sentence_tokens} tokens are '
          'cut for training (--max-sentence-tokens)')
  return counts


def _report(args: argparse.Namespace) -> int:
  existing_metadata(args.run_dir)  # before run.log is written there
  from pipeline import console, report  # pylint: disable=g-import-not-at-top
  with console.run_console(os.path.abspath(args.run_dir), False):
    path = report.write(args.run_dir)
  print(f'ner-pipeline report: wrote {path}')
  return 0


def _write_report(output_dir: str, say, test: Optional[Dict]
                  ) -> Optional[str]:
  """report.html, with the --test score the run just computed; a failure
  to draw it is a warning, not a failed run (the model is pushed by then)."""
  from pipeline import report  # pylint: disable=g-import-not-at-top
  try:
    return report.write(output_dir, test)
  except Exception as e:  # pylint: disable=broad-except
    logging.exception('report.html failed')
    say(f'ner-pipeline: warning: report.html was not written: {_one_line(e)}'
        ' (traceback in run.log; "ner-pipeline report" tries again)')
    return None


def _pipeline(args: argparse.Namespace) -> int:
  """run and retrain."""
  from pipeline import console  # pylint: disable=g-import-not-at-top
  with console.run_console(os.path.abspath(args.output), args.verbose) as face:
    config = config_from_args(args)
    face.say(f'ner-pipeline: writing everything under {config.output_dir}'
             + ('' if args.verbose else '; library logs go to ' +
                os.path.join(config.output_dir, console.RUN_LOG)))
    if config.embedding.source == 'pretrained' and vars(args).get(
        'embedding.unlabeled_paths'):
      face.say('ner-pipeline: the --pretrained-vectors are used alone (they '
               'measured best, docs/benchmarks.md); --unlabeled is not read '
               'unless --embedding stacked')
    from models import atomic  # pylint: disable=g-import-not-at-top
    from pipeline import local_runner, outputs, recovery, scratch  # pylint: disable=g-import-not-at-top
    with scratch.output_lock(config.output_dir):
      cancelled = recovery.cancel_unfinished(config.metadata_path)
      if cancelled:
        face.say(f'ner-pipeline: a killed run left {", ".join(cancelled)} '
                 'unfinished: marked CANCELED; finished steps are reused '
                 'with --cache, and training resumes from its last epoch')
      data = _check_data(args, config, face.say) if (
          args.command == 'run') else {}
      started = time.time()
      local_runner.run(config)
      result = outputs.summary(config, started)
      if data:
        result['data'] = data
      result['report'] = _write_report(config.output_dir, face.say,
                                       result.get('test'))
      atomic.write(os.path.join(config.output_dir, 'last_run.json'),
                   json.dumps(result, indent=2, sort_keys=True))
  evaluation = result.get('eval', {})
  print('\n'.join([f"ner-pipeline: finished in {result['seconds']:.0f} s"]
                  + console.summary_lines(result)))
  print(f"ner-pipeline: eval entity F1 {100 * evaluation.get('f1', 0):.2f}; "
        f"{'blessed' if result.get('blessed') else 'NOT blessed'}; "
        + (f"pushed as version {result['pushed']['version']}"
           if result.get('pushed') else 'nothing pushed') +
        f"; output in {config.output_dir} (last_run.json, run.log)",
        flush=True)
  return 0


def main(argv: Optional[List[str]] = None) -> int:
  args = _parser().parse_args(argv)
  if args.command == 'schema':
    return _guarded(_schema, args)
  if args.command == 'report':
    return _guarded(_report, args)
  if args.command == 'runs':
    from pipeline import runs  # pylint: disable=g-import-not-at-top
    found = runs.list_runs(os.path.join(args.output, 'metadata.sqlite'))
    if not found:
      raise SystemExit(f'ner-pipeline runs: no runs in {args.output}')
    for run in found:
      print(runs.format_run(run))
    return 0
  if args.command in ('submit', 'schedule'):
    return _vertex(args)
  if args.command == 'tag':
    return _tag(args)
  if args.command == 'serve':
    from serving import server, threads  # pylint: disable=g-import-not-at-top
    threads.for_tagging()
    server.serve(args.model, args.model_name, args.host, args.port,
                 args.max_request_bytes, args.poll_seconds, args.threads)
    return 0
  if args.command == 'compile':
    config = config_from_args(args)
    from pipeline import kubeflow_runner  # pylint: disable=g-import-not-at-top
    kubeflow_runner.compile_pipeline(config, args.image, args.output)
    print(f'ner-pipeline compile: wrote {args.output} ({args.target})')
    return 0
  return _guarded(_pipeline, args)


def _guarded(command, args: argparse.Namespace) -> int:
  """Runs a command; a failure ends in one line on stderr and exit status
  1, or the whole traceback with --verbose."""
  try:
    return command(args)
  except (KeyboardInterrupt, SystemExit):
    raise
  except Exception as e:  # pylint: disable=broad-except
    if getattr(args, 'verbose', False):
      raise
    print(f'ner-pipeline {args.command}: {_one_line(e)}', file=sys.stderr,
          flush=True)
    if hasattr(args, 'verbose'):
      print('(--verbose shows the traceback)', file=sys.stderr, flush=True)
    return 1


if __name__ == '__main__':
  sys.exit(main())
