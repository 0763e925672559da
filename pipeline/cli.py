"""``ner-pipeline``: run the pipeline on your own CoNLL files, no code edits."""

import argparse
import json
import os
import sys
import time
from typing import Any, Dict, List, Optional

from pipeline.config import (EmbeddingConfig, GateConfig, PipelineConfig,
                             TrainerConfig)

_DEFAULT_OUTPUT = 'runs/demo'


def _parser() -> argparse.ArgumentParser:
  emb, trn, gate = EmbeddingConfig(), TrainerConfig(), GateConfig()
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
  data.add_argument('--encoding', default='utf-8',
                    help='encoding of the CoNLL files, e.g. latin-1')
  data.add_argument('--tag-scheme', default='auto',
                    choices=['auto', 'iob1', 'iob2', 'bioes'],
                    help='tag scheme of the input; tags are normalised to '
                    'IOB2 (auto tells BIOES from IOB by its E-/S- tags)')
  data.add_argument('--schema-dir', default='',
                    help='directory with a schema.pbtxt to validate against '
                    '(default: the curated schema/ of this project)')
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

  tag = sub.add_parser(
      'tag', formatter_class=argparse.ArgumentDefaultsHelpFormatter,
      help='tag a file with a pushed model',
      description='Tag sentences with a pushed model through its tag_tokens '
      'signature, as a serving client would. A CoNLL file keeps its columns '
      'and gets the predicted tag after the gold one (the layout conlleval '
      'scores), and its entity scores against the gold tags are printed; '
      'with --text, each line is a sentence of whitespace-separated tokens '
      'and the output has a token and its tag per line.')
  tag.add_argument('--model', required=True,
                   help='serving_model/ of a run (its newest version) or one '
                   '<version>/ folder in it')
  tag.add_argument('--input', required=True,
                   help='CoNLL file, or plain text with --text')
  tag.add_argument('--output', default='-',
                   help='file to write (written whole or not at all); '
                   '- for standard output')
  tag.add_argument('--text', action='store_true',
                   help='input is plain text: one sentence per line')
  tag.add_argument('--encoding', default='utf-8')
  tag.add_argument('--tag-scheme', default='auto',
                   choices=['auto', 'iob1', 'iob2', 'bioes'],
                   help='tag scheme of the gold tags (written as IOB2)')

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
  spans.add_argument('--encoding', default='utf-8')
  spans.add_argument('--tag-scheme', default='auto',
                     choices=['auto', 'iob1', 'iob2', 'bioes'])
  spans.add_argument(
      '--schema-dir', default=schema_dir,
      help='schema folder; for compile, as the containers see it (the image '
      'holds this project at /pipeline) or a gs:// copy')


def _add_common_options(parser: argparse.ArgumentParser,
                        local: bool = True) -> None:
  """Embedding, model and gate options; output options for local runs."""
  emb, trn, gate = EmbeddingConfig(), TrainerConfig(), GateConfig()
  e = parser.add_argument_group('embeddings')
  e.add_argument('--embedding', default=None,
                 choices=['word2vec', 'pretrained', 'random'],
                 help='word2vec: train on the training tokens plus '
                 '--unlabeled text; pretrained: load --pretrained-vectors; '
                 'random: no vectors (baseline). Default: pretrained when '
                 '--pretrained-vectors is given, else word2vec')
  e.add_argument('--unlabeled', nargs='*', default=[], metavar='PATH',
                 help='plain-text files or directories for Word2Vec')
  e.add_argument('--pretrained-vectors', default='', metavar='PATH',
                 help='pre-trained vectors to load with gensim')
  e.add_argument('--vectors-format', default=emb.pretrained_format,
                 choices=['word2vec-binary', 'word2vec-text', 'glove',
                          'fasttext-text'])
  e.add_argument('--w2v-dim', type=int, default=emb.dim)
  e.add_argument('--w2v-window', type=int, default=emb.window)
  e.add_argument('--w2v-epochs', type=int, default=emb.epochs)
  e.add_argument('--w2v-negative', type=int, default=emb.negative)
  e.add_argument('--w2v-min-count', type=int, default=emb.w2v_min_count)
  e.add_argument('--w2v-lowercase', action=argparse.BooleanOptionalAction,
                 default=emb.lowercase,
                 help='train Word2Vec and keep the vocabulary lower-cased, '
                 'digits as 0 (casing reaches the model as its own feature)')
  e.add_argument('--cbow', action='store_true',
                 help='CBOW instead of skip-gram')
  e.add_argument('--vocab-min-count', type=int, default=emb.vocab_min_count,
                 help='training words seen fewer times are left out')
  e.add_argument('--max-vocab-size', type=int, default=emb.max_vocab_size)
  t = parser.add_argument_group('model and training')
  t.add_argument('--static-embeddings', action='store_true',
                 help='freeze the embedding layer (default: fine-tune it)')
  t.add_argument('--crf', action=argparse.BooleanOptionalAction,
                 default=trn.crf,
                 help='CRF output layer with Viterbi decoding (else softmax)')
  t.add_argument('--char-filters', type=int, default=trn.char_filters,
                 help='filters of the character CNN (0: no character CNN)')
  t.add_argument('--guess-oov', action=argparse.BooleanOptionalAction,
                 default=trn.guess_oov,
                 help='give out-of-vocabulary words a vector guessed from '
                 'their characters by a network fitted to the word vectors')
  t.add_argument('--untrained-as-unk', action=argparse.BooleanOptionalAction,
                 default=trn.untrained_as_unk,
                 help='words whose embedding row no training sentence uses '
                 'read as <UNK> (guessed with --guess-oov) instead of their '
                 'untuned vector')
  t.add_argument('--epochs', type=int, default=trn.epochs)
  t.add_argument('--batch-size', type=int, default=trn.batch_size)
  t.add_argument('--lstm-units', type=int, default=trn.lstm_units)
  t.add_argument('--lstm-layers', type=int, default=trn.lstm_layers,
                 help='stacked BiLSTM layers')
  t.add_argument('--dropout', type=float, default=trn.dropout)
  t.add_argument('--word-dropout', type=float, default=trn.word_dropout,
                 help='share of training words replaced by <UNK>')
  t.add_argument('--learning-rate', type=float, default=trn.learning_rate)
  t.add_argument('--lr-decay', type=float, default=trn.lr_decay,
                 help='learning rate times this after an epoch without a '
                 'better eval entity F1 (1: constant)')
  t.add_argument('--weight-average', type=float, default=trn.weight_average,
                 help='decay of the moving average of the weights that is '
                 'evaluated and kept (0: the weights as trained)')
  t.add_argument('--mention-replace', type=float,
                 default=trn.mention_replace,
                 help='probability that a training entity is swapped for '
                 'another training mention of its type, anew each epoch')
  t.add_argument('--entity-word-dropout', type=float,
                 default=trn.entity_word_dropout,
                 help='share of training entity words replaced by <UNK>, '
                 'anew each epoch (on top of --word-dropout)')
  t.add_argument('--patience', type=int, default=trn.patience,
                 help='early-stopping patience in epochs (eval entity F1)')
  t.add_argument('--ensemble', type=int, default=trn.ensemble,
                 help='taggers to train (seeds seed, seed+1, ...) and export '
                 'as one model that decodes the mean of their scores')
  t.add_argument('--seed', type=int, default=trn.seed)
  g = parser.add_argument_group('blessing gate')
  g.add_argument('--min-f1', type=float, default=gate.min_f1,
                 help='entity F1 (0..1) a model must reach on --eval')
  g.add_argument('--max-f1-drop', type=float, default=gate.max_f1_drop,
                 help='how far F1 may fall below the last blessed model')
  o = parser.add_argument_group('output' if local else 'beam')
  if local:
    o.add_argument('--output', default=_DEFAULT_OUTPUT,
                   help='directory for everything the run writes: pipeline '
                   'root, metadata.sqlite, serving_model/<version>/')
    o.add_argument('--cache', action='store_true',
                   help='reuse outputs of unchanged components from earlier '
                   'runs in the same --output')
  o.add_argument('--beam-arg', action='append', default=None,
                 metavar='ARG', help='Beam pipeline argument, repeatable '
                 '(replaces the defaults)')


def config_from_args(args: argparse.Namespace) -> PipelineConfig:
  output = os.path.abspath(args.output)
  unlabeled = list(args.unlabeled)
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
  if args.command == 'run' and not train and not eval_:
    from pipeline import synthetic_data  # pylint: disable=g-import-not-at-top
    paths = synthetic_data.write_demo_data(os.path.join(output, 'data'))
    train, eval_, test = paths['train'], paths['eval'], paths['test']
    unlabeled = unlabeled or [paths['unlabeled']]
  elif args.command == 'run' and not (train and eval_):
    raise SystemExit('ner-pipeline: give both --train and --eval, or neither '
                     'for the synthetic demo')
  data_files = (train, eval_, test) if args.command == 'run' else ()
  for path in (*data_files, args.pretrained_vectors, *unlabeled):
    if path and '://' not in path and not os.path.exists(path):
      raise SystemExit(f'ner-pipeline: no such file or directory: {path}')
  source = args.embedding or ('pretrained' if args.pretrained_vectors
                              else 'word2vec')
  if args.beam_arg is not None:
    extra['beam_args'] = tuple(args.beam_arg)
  schema_dir = args.schema_dir  # for compile: a path inside the image
  if schema_dir and args.command != 'compile' and '://' not in schema_dir:
    schema_dir = os.path.abspath(schema_dir)
  return PipelineConfig(
      output_dir=output, train=train, eval=eval_, test=test or '',
      encoding=args.encoding, tag_scheme=args.tag_scheme,
      schema_dir=schema_dir,
      embedding=EmbeddingConfig(
          source=source, pretrained_path=args.pretrained_vectors,
          pretrained_format=args.vectors_format,
          unlabeled_paths=[os.path.abspath(u) if '://' not in u else u
                           for u in unlabeled],
          dim=args.w2v_dim, window=args.w2v_window, epochs=args.w2v_epochs,
          negative=args.w2v_negative, w2v_min_count=args.w2v_min_count,
          lowercase=args.w2v_lowercase,
          skip_gram=not args.cbow, vocab_min_count=args.vocab_min_count,
          max_vocab_size=args.max_vocab_size, seed=args.seed),
      trainer=TrainerConfig(
          embedding_trainable=not args.static_embeddings, epochs=args.epochs,
          crf=args.crf, char_filters=args.char_filters,
          guess_oov=args.guess_oov, untrained_as_unk=args.untrained_as_unk,
          batch_size=args.batch_size, lstm_units=args.lstm_units,
          lstm_layers=args.lstm_layers,
          dropout=args.dropout, word_dropout=args.word_dropout,
          learning_rate=args.learning_rate,
          lr_decay=args.lr_decay, weight_average=args.weight_average,
          mention_replace=args.mention_replace,
          entity_word_dropout=args.entity_word_dropout,
          patience=args.patience,
          ensemble=args.ensemble, seed=args.seed),
      gate=GateConfig(min_f1=args.min_f1, max_f1_drop=args.max_f1_drop),
      **extra)


def latest_execution(directory: str) -> Optional[str]:
  """Newest numbered folder under ``directory``: an output's execution (TFX
  names them by id) or a pushed model version. Compared as numbers, not
  strings, so that 10 is newer than 9."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  if not tf.io.gfile.isdir(directory):
    return None
  ids = [int(n.strip('/')) for n in tf.io.gfile.listdir(directory)
         if n.strip('/').isdigit()]
  return os.path.join(directory, str(max(ids))) if ids else None


def summary(config: PipelineConfig, started: float) -> Dict[str, Any]:
  """What the run produced, read back from its output directory."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  root = config.pipeline_root
  out: Dict[str, Any] = {'output_dir': config.output_dir,
                         'seconds': round(time.time() - started, 1)}
  emb = latest_execution(os.path.join(root, 'EmbeddingGen', 'embedding'))
  if emb:
    with tf.io.gfile.GFile(os.path.join(emb, 'stats.json')) as f:
      out['embedding'] = json.load(f)
  evaluation = latest_execution(
      os.path.join(root, 'NerEvaluator', 'evaluation'))
  if evaluation:
    with tf.io.gfile.GFile(os.path.join(evaluation, 'metrics.json')) as f:
      metrics = json.load(f)
    out['eval'] = {k: metrics['model'][k] for k in
                   ('precision', 'recall', 'f1', 'per_type')}
    out['blessed'] = metrics['blessed']
    out['gate'] = metrics['reason']
  versions = sorted(v.strip('/') for v in tf.io.gfile.listdir(
      config.serving_dir)) if tf.io.gfile.isdir(config.serving_dir) else []
  out['serving_versions'] = versions
  return out


_TAG_CHUNK = 2000  # sentences per progress line


def _tag(args: argparse.Namespace) -> int:
  """A file through the served signature: to read a model's mistakes, or to
  score a held-out file exactly as the served model will be scored."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from components import conll, entity_metrics, inference  # pylint: disable=g-import-not-at-top
  model_dir = args.model
  if not tf.io.gfile.exists(os.path.join(model_dir, 'saved_model.pb')):
    model_dir = latest_execution(model_dir)
    if not model_dir:
      raise SystemExit(f'ner-pipeline tag: no SavedModel in {args.model} '
                       '(give serving_model/ of a run or a version in it)')
  if not tf.io.gfile.exists(args.input):
    raise SystemExit(f'ner-pipeline tag: no such file: {args.input}')
  try:
    if args.text:
      sentences = [conll.Sentence(tokens=line.split(), tags=[])
                   for line in conll.read_lines(args.input, args.encoding)
                   if line.strip()]
    else:
      sentences = list(conll.read_file(args.input, args.encoding,
                                       args.tag_scheme))
  except conll.ConllFormatError as e:
    raise SystemExit(f'ner-pipeline tag: {e}') from None
  if not sentences:
    raise SystemExit(f'ner-pipeline tag: no sentences in {args.input}')
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
  if args.text:
    for s, tags in zip(sentences, predicted):
      s.tags = tags
    text = conll.format_sentences(sentences)
  else:
    text = conll.format_sentences(sentences, predicted)
  if args.output == '-':
    sys.stdout.write(text)
    sys.stdout.flush()
  else:
    partial = args.output + '.partial'
    try:
      with tf.io.gfile.GFile(partial, 'w') as f:
        f.write(text)
      tf.io.gfile.rename(partial, args.output, overwrite=True)
    finally:
      if tf.io.gfile.exists(partial):
        tf.io.gfile.remove(partial)
    print(f'ner-pipeline tag: wrote {args.output}', file=sys.stderr)
  if not args.text:
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


def main(argv: Optional[List[str]] = None) -> int:
  args = _parser().parse_args(argv)
  if args.command in ('submit', 'schedule'):
    return _vertex(args)
  if args.command == 'tag':
    return _tag(args)
  if args.command == 'compile':
    args.unlabeled = list(args.unlabeled)
    config = config_from_args(args)
    from pipeline import kubeflow_runner  # pylint: disable=g-import-not-at-top
    kubeflow_runner.compile_pipeline(config, args.image, args.output)
    print(f'ner-pipeline compile: wrote {args.output} ({args.target})')
    return 0
  config = config_from_args(args)
  print(f'ner-pipeline: writing everything under {config.output_dir}',
        flush=True)
  from pipeline import local_runner  # pylint: disable=g-import-not-at-top
  started = time.time()
  local_runner.run(config)
  result = summary(config, started)
  with open(os.path.join(config.output_dir, 'last_run.json'), 'w') as f:
    json.dump(result, f, indent=2, sort_keys=True)
  evaluation = result.get('eval', {})
  print('\n' + json.dumps(result, indent=2, sort_keys=True))
  print(f"\nner-pipeline: eval entity F1 {100 * evaluation.get('f1', 0):.2f}; "
        f"{'blessed and pushed' if result.get('blessed') else 'NOT blessed'}"
        f"; output in {config.output_dir}", flush=True)
  return 0


if __name__ == '__main__':
  sys.exit(main())
