// The tables API through postgrest-js (what supabase-js uses), pointed at
// /api/v1/tables: selects with filters, counts, single objects, inserts,
// upserts, updates and deletes; range and quantified operators, plans,
// GeoJSON and schema profiles; embedding (aliases, !inner, nesting,
// embedded filters, order and limit, spread), RPC (POST and GET, rows
// filtered and ordered), CSV, JSON paths and aggregates.  FB_URL and
// TOKEN (a service token) come from the environment; any mismatch exits
// non-zero with the reason.
'use strict';
const { PostgrestClient } = require('@supabase/postgrest-js');

const db = new PostgrestClient(process.env.FB_URL + '/tables', {
  headers: { Authorization: 'Bearer ' + process.env.TOKEN },
});

function check(what, cond, detail) {
  if (!cond) {
    console.error('postgrest-js: ' + what + ' failed: ' + JSON.stringify(detail));
    process.exit(1);
  }
  console.log('ok ' + what);
}

async function main() {
  let r = await db.from('categories').select('id,title').order('id').limit(2);
  check('select, order, limit', !r.error && r.data.length === 2 && r.data[0].id === 1, r);

  r = await db.from('categories').insert([{ id: 900, title: 'js' }, { id: 901, title: 'js b' }]).select();
  check('bulk insert with representation', !r.error && r.data.length === 2 && r.status === 201, r);

  r = await db.from('categories').update({ title: 'js 2' }).eq('id', 900).select();
  check('update with a filter', !r.error && r.data[0].title === 'js 2', r);

  r = await db.from('categories').select('*', { count: 'exact' }).gte('id', 900);
  check('exact count', !r.error && r.count === 2, r);

  r = await db.from('categories').select().eq('id', 901).single();
  check('single object', !r.error && r.data.title === 'js b', r);

  r = await db.from('categories').select().gte('id', 900).single();
  check('single object refused for two rows', r.error && r.error.code === 'PGRST116', r);

  r = await db.from('categories').upsert({ id: 900, title: 'js 3' }).select();
  check('upsert', !r.error && r.data[0].title === 'js 3', r);

  r = await db.from('products').select('id,name').in('name', ['apple', 'banana']).order('id');
  check('in list', !r.error && r.data.length >= 1, r);

  r = await db.from('products').select('id').or('price.gt.1,stock.eq.0').order('id');
  check('or group', !r.error && Array.isArray(r.data), r);

  r = await db.from('categories').select('id').ilike('title', 'JS%').neq('id', 901);
  check('ilike and neq', !r.error && r.data.length === 1 && r.data[0].id === 900, r);

  r = await db.from('categories').delete().in('id', [900, 901]).select();
  check('delete with representation', !r.error && r.data.length === 2, r);

  // PostgREST 12 conformance: range operators, quantified like, upsert
  // answers, plans, profiles.
  r = await db.from('reservations').select('id').rangeLt('age_range', '[2,25)');
  check('rangeLt', !r.error && r.data.length === 1 && r.data[0].id === 1, r);
  r = await db.from('reservations').select('id').rangeGt('age_range', '[2,25)').order('id');
  check('rangeGt', !r.error && r.data.map((x) => x.id).join() === '2,3', r);
  r = await db.from('reservations').select('id').rangeAdjacent('age_range', '[2,25)').order('id');
  check('rangeAdjacent', !r.error && r.data.map((x) => x.id).join() === '1,2,3', r);
  r = await db.from('reservations').select('id').overlaps('age_range', '[2,25)');
  check('overlaps on a range', !r.error && r.data.map((x) => x.id).join() === '4', r);
  r = await db.from('reservations').select('id').likeAnyOf('who', ['%supa%', '%kiwi%']).order('id');
  check('likeAnyOf', !r.error && r.data.map((x) => x.id).join() === '1,2', r);
  r = await db.from('reservations').select('id').likeAllOf('who', ['%i%', '%w%']).order('id');
  check('likeAllOf', !r.error && r.data.map((x) => x.id).join() === '2,3', r);
  r = await db.from('reservations').select('id', { count: 'exact', head: true }).limit(2);
  check('head count, partial', !r.error && r.count === 4 && r.status === 206, r);

  r = await db.from('upsert_items').upsert([{ id: 900, code: 'js1', qty: 1 }]).select();
  check('upsert inserts', !r.error && r.status === 201 && r.data[0].qty === 1, r);
  r = await db.from('upsert_items').upsert({ id: 901, code: 'js1', qty: 2 }, { onConflict: 'code' }).select();
  check('upsert on another key answers the row', !r.error && r.data.length === 1 && r.data[0].id === 901 && r.data[0].qty === 2, r);
  r = await db.from('upsert_items').upsert({ id: 901, code: 'js1', qty: 3 }, { ignoreDuplicates: true }).select();
  check('ignoreDuplicates answers no row', !r.error && r.data.length === 0, r);
  r = await db.from('upsert_items').delete({ count: 'exact' }).eq('code', 'js1');
  check('delete counts', !r.error && r.count === 1, r);

  r = await db.from('reservations').select('id').eq('who', 'supabot').explain();
  check('explain (text)', !r.error && typeof r.data === 'string' && r.data.includes('reservation'), r);
  r = await db.from('reservations').select('id').explain({ format: 'json', analyze: true });
  check('explain (json, analyze)', !r.error && Array.isArray(r.data) && r.data[0].Plan !== undefined, r);

  // GeoJSON: the fixture's place table exists where PostGIS does.
  r = await db.from('places').select('id').limit(1);
  if (r.status === 404) {
    console.log('skip geojson (no PostGIS)');
  } else {
    r = await db.from('places').select('id,name,loc').eq('kind', 'tower').order('id').geojson();
    check('geojson', !r.error && r.data.type === 'FeatureCollection' && r.data.features.length === 2 &&
      r.data.features[0].properties.name === 'lighthouse' &&
      r.data.features[0].geometry.coordinates.join() === '3,4', r);
    r = await db.from('reservations').select('id').geojson();
    check('geojson without a geometry column', r.error && r.error.code === 'PGRST107' && r.status === 406, r);
  }

  r = await db.schema('extra').from('thing').select('id,v');
  check('schema profile', !r.error && r.data.length >= 1 && r.data[0].v === 'elsewhere', r);
  r = await db.schema('nope').from('thing').select('id');
  check('unknown schema profile', r.error && r.error.code === 'PGRST106' && r.status === 406, r);

  // Embedding, RPC, CSV, JSON paths and aggregates (issue 19), on the
  // fixture's users/posts/comments/tags schema, as supabase-js writes them.
  const ids = (rows) => rows.map((x) => x.id).join();
  r = await db.from('posts').select('id, title, author:users!author_id(name), comments(id, body)')
    .eq('id', 1).order('id', { referencedTable: 'comments' });
  check('embedding with an alias', !r.error && r.data.length === 1 && r.data[0].author.name === 'Alice' &&
    ids(r.data[0].comments) === '1,2,3' && r.data[0].comments[0].body === 'Nice', r);
  r = await db.from('posts').select('id, comments!inner(id)').eq('comments.approved', false).order('id');
  check('!inner with an embedded filter', !r.error && ids(r.data) === '1,2' &&
    ids(r.data[0].comments) === '2', r);
  r = await db.from('users').select('name, posts!author_id(id, title, comments(body))').eq('id', 2)
    .order('id', { referencedTable: 'posts' });
  check('nested embedding', !r.error && r.data[0].name === 'Bob' && ids(r.data[0].posts) === '3,5' &&
    r.data[0].posts[0].comments[0].body === 'Great', r);
  r = await db.from('posts').select('id, comments(id)').eq('id', 1)
    .order('created_at', { referencedTable: 'comments', ascending: false }).limit(1, { referencedTable: 'comments' });
  check('embedded order and limit', !r.error && ids(r.data[0].comments) === '3', r);
  r = await db.from('posts').select('id, tags(name)').eq('id', 2);
  check('many-to-many', !r.error && r.data[0].tags.length === 1 && r.data[0].tags[0].name === 'tech', r);
  r = await db.from('comments').select('id, ...users(name)').eq('id', 1);
  check('spread', !r.error && r.data[0].name === 'Bob' && r.data[0].users === undefined, r);
  r = await db.from('posts').select('id, users(name)');
  check('ambiguous embedding', r.error && r.error.code === 'PGRST201' && r.status === 300, r);

  r = await db.rpc('add', { a: 1, b: 2 });
  check('rpc (POST)', !r.error && r.data === 3, r);
  r = await db.rpc('add', { a: 1, b: 2 }, { get: true });
  check('rpc (GET)', !r.error && r.data === 3, r);
  r = await db.rpc('posts_by', { author: 1 }, { get: true }).select('id, title').order('id');
  check('rpc returning rows, with select and order', !r.error && ids(r.data) === '1,2' && r.data[0].title === 'Hello', r);
  r = await db.rpc('posts_by', { author: 1 }).eq('id', 2);
  check('rpc returning rows, filtered', !r.error && ids(r.data) === '2', r);
  r = await db.rpc('no_such_function', { a: 1 });
  check('rpc of an unknown function', r.error && r.error.code === 'PGRST202' && r.status === 404, r);

  r = await db.from('tags').select('id,name').order('id').csv();
  check('csv', !r.error && typeof r.data === 'string' &&
    r.data.split(/\r?\n/).filter((l) => l !== '').join('|') === 'id,name|1,news|2,tech|3,life|4,secret', r);

  r = await db.from('posts').select('id, color:meta->>color').eq('meta->>color', 'red').order('id');
  check('JSON paths', !r.error && ids(r.data) === '1,3' && r.data[0].color === 'red', r);
  r = await db.from('posts').select('author_id, count()').order('author_id');
  check('aggregates', !r.error && r.data.map((x) => x.author_id + ':' + x.count).join() === '1:2,2:2,4:1', r);
  r = await db.from('posts').select('price.sum()').in('id', [1, 2]);
  check('sum', !r.error && r.data.length === 1 && Number(r.data[0].sum) === 30.5, r);
  r = await db.from('posts').select('id, comments(id)').explain();
  check('explain of an embedded read', !r.error && typeof r.data === 'string' && r.data.includes('comments'), r);

  r = await db.from('no_such_table').select();
  check('unknown table is an error', r.error && r.status === 404, r);
}

main().catch((e) => {
  console.error('postgrest-js: ' + e.stack);
  process.exit(1);
});
